import { Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import { PROVIDER_API_CALLS } from '../../functions/shared/events.ts';
import {
  DEFAULT_SPOKE_ROLE_NAME,
  spokeForwarderRoleName,
  spokeRoleName,
  spokeTopicName,
} from '../../functions/shared/fleet.ts';
import { spokeRoleStatements, spokeTrustConditions } from '../fleet-permissions.ts';
import { endpointServicesArn, ingestTopicPolicy } from '../permissions.ts';

/** What a spoke must know of its hub: all of it literal, since the hub is another account's stack. */
export interface SpokeHub {
  account: string;
  region: string;
  /** The hub's SQS queue every spoke topic delivers to. */
  ingestQueueArn: string;
  /** The hub's EventBridge bus the provider's EC2 calls are forwarded to. */
  busArn: string;
  /** The roles of the hub's functions that act in members: the only principals the spoke role trusts. */
  actingRoleArns: readonly string[];
  /** People who may act through the spoke role too (config `fleet.operators`), with the same external id. */
  operators?: readonly string[];
  /** What those functions present as `sts:ExternalId`. */
  externalId: string;
}

export interface PrivateLinkGateSpokeProps {
  hub: SpokeHub;
  /** The prefix of the spoke's names (default `plgate-spoke`): role `<prefix>-<region>`, topic `<prefix>-ingest`. */
  spokeRoleName?: string;
}

/**
 * One fleet member's account and region, with no code (so a StackSet can roll it out): the
 * topic its endpoint services notify, delivered to the hub's queue; a rule forwarding the
 * provider's own endpoint-service calls to the hub's bus; and the role the hub acts through,
 * which may describe, and accept, reject and modify tagged services only. docs/fleet.md.
 */
export class PrivateLinkGateSpoke extends Construct {
  readonly ingestTopic: sns.Topic;
  readonly forwardCalls: events.Rule;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PrivateLinkGateSpokeProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefix = props.spokeRoleName ?? DEFAULT_SPOKE_ROLE_NAME;
    const { hub } = props;
    const here = { partition: stack.partition, account: stack.account, region: stack.region };

    // No customer managed key: vpce.amazonaws.com can publish to an encrypted topic only with
    // one, a key per member account and region, for notifications that carry only ids the
    // member's EC2 API shows anyway; the hub's queue they go to is encrypted.
    this.ingestTopic = new sns.Topic(this, 'IngestTopic', {
      topicName: spokeTopicName(prefix),
      displayName: 'privatelink-gate connection notifications (to the hub)',
      enforceSSL: true,
    });
    for (const statement of ingestTopicPolicy({ ...here, ingestTopicArn: this.ingestTopic.topicArn })) {
      this.ingestTopic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: statement.sid,
          principals: [new iam.ServicePrincipal(statement.servicePrincipal)],
          actions: [...statement.actions],
          resources: [...statement.resources],
          ...(statement.conditions === undefined ? {} : { conditions: statement.conditions }),
        }),
      );
    }
    // Created by the topic's owner, so SNS sends the hub's queue a SubscriptionConfirmation,
    // which the hub's ingest confirms for its members' topics (docs/fleet.md). Not raw: the
    // envelope's TopicArn tells the hub which member and region a notification comes from.
    new sns.Subscription(this, 'ToHub', {
      topic: this.ingestTopic,
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: hub.ingestQueueArn,
    });

    const forwarder = new iam.Role(this, 'ForwarderRole', {
      roleName: spokeForwarderRoleName(prefix, stack.region),
      description: "privatelink-gate spoke: forwards the provider's endpoint-service calls to the hub's bus",
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
      }),
    });
    this.forwardCalls = new events.Rule(this, 'ForwardProviderCalls', {
      description:
        "privatelink-gate spoke: the provider's endpoint-service API calls (CloudTrail) -> the hub's bus",
      eventPattern: {
        source: ['aws.ec2'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: { eventSource: ['ec2.amazonaws.com'], eventName: PROVIDER_API_CALLS },
      },
      targets: [
        new targets.EventBus(events.EventBus.fromEventBusArn(this, 'HubBus', hub.busArn), {
          role: forwarder,
        }),
      ],
    });

    this.role = new iam.Role(this, 'Role', {
      roleName: spokeRoleName(prefix, stack.region),
      description:
        "privatelink-gate spoke: the hub's functions act on this region's tagged endpoint services",
      assumedBy: new iam.AccountPrincipal(hub.account).withConditions(
        spokeTrustConditions(hub.actingRoleArns, hub.externalId, hub.operators),
      ),
    });
    for (const statement of spokeRoleStatements(here)) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: statement.sid,
          actions: [...statement.actions],
          resources: [...statement.resources],
          ...(statement.conditions === undefined ? {} : { conditions: statement.conditions }),
        }),
      );
    }
    const wildcard = (finding: string, reason: string) =>
      Validations.of(this.role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    wildcard(
      'Resource::*',
      'EC2 Describe* actions support no resource-level permissions and no aws:ResourceTag condition; they only read, in this account and region.',
    );
    wildcard(
      `Resource::${flattenCfnReference(stack.resolve(endpointServicesArn(here)))}`,
      'Limited to endpoint services tagged privatelink-gate:managed=true by an aws:ResourceTag condition; the set of managed services changes at run time.',
    );
  }
}
