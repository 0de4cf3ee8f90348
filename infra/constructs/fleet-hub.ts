import { CfnOutput, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudformation from 'aws-cdk-lib/aws-cloudformation';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import { ENV, FLEET_STACK_OUTPUTS, type FleetVariable } from '../../functions/shared/config.ts';
import { PROVIDER_API_CALLS } from '../../functions/shared/events.ts';
import {
  type ActingFunction,
  defaultExternalId,
  hubIngestQueueName,
  hubRoleName,
  MEMBER_LISTING_FUNCTIONS,
  OPT_IN_REGIONS,
} from '../../functions/shared/fleet.ts';
import { METRIC } from '../../functions/shared/metrics.ts';
import { type FleetConfig, GateConfigError } from '../config.ts';
import {
  type FleetMembers,
  fleetBusPolicy,
  fleetIngestQueuePolicy,
  type PrincipalStatement,
} from '../fleet-permissions.ts';
import { organizationUnitsArn } from '../permissions.ts';
import { spokeTemplate } from '../spoke-stack.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import type { GateFunction } from './gate-function.ts';
import { gateMetric } from './operations.ts';
import type { SpokeHub } from './spoke.ts';
import { EVENT_TARGET_RETRY } from './triggers.ts';

export interface GateFleetHubProps {
  fleet: FleetConfig;
  /** The members as the policies name them (fleetMembersOf); the acting functions' roles already may assume their spoke roles (permissions.ts). */
  members: FleetMembers;
  stackName: string;
  bus: events.EventBus;
  /** The functions that act in members (ingest among them, which also takes the fleet's deliveries). */
  acting: Partial<Record<ActingFunction, GateFunction>> & { ingest: GateFunction };
  opsTopic: sns.ITopic;
}

/**
 * What a gate needs to be a fleet's hub: the queue members' spoke topics deliver to and the
 * bus policy their forwarding rules need (both admitting members only), fixed role names for
 * the functions that act in members (spoke roles trust them by ARN), their right to assume
 * spoke roles and the external id they present, an alarm on unhealthy members, and for
 * organizational units the StackSet that deploys spokes to every account in them.
 */
export class GateFleetHub extends Construct {
  readonly ingestQueue: sqs.Queue;
  readonly members: FleetMembers;
  readonly externalId: string;
  readonly stackSet: cloudformation.CfnStackSet | undefined;
  readonly unhealthyMembersAlarm: cloudwatch.Alarm;
  readonly #actingRoleArns: string[];
  readonly #operators: readonly string[];
  readonly #busArn: string;
  readonly #stackName: string;

  constructor(scope: Construct, id: string, props: GateFleetHubProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { fleet, stackName } = props;
    this.#stackName = stackName;
    this.externalId = fleet.externalId ?? defaultExternalId(stack.account, stackName);
    this.members = props.members;
    // The spoke roles trust the hub account: an operator in another account could never get in.
    const elsewhere = Token.isUnresolved(stack.account)
      ? []
      : fleet.operators.filter((arn) => arn.split(':')[4] !== stack.account);
    if (elsewhere.length > 0)
      throw new GateConfigError(
        `config.fleet.operators: ${elsewhere.join(', ')} not in the hub's account ${stack.account}: the spoke roles trust the hub account's principals only`,
      );
    this.#operators = [...fleet.operators];

    if (OPT_IN_REGIONS.has(stack.region)) {
      const optIn = [
        ...this.members.listed.map((member) => member.region),
        ...(this.members.organization?.regions ?? []),
      ].filter((region) => OPT_IN_REGIONS.has(region));
      if (optIn.length > 0)
        throw new GateConfigError(
          `config.fleet: SNS cannot deliver from one opt-in region to another, and the hub is in ${stack.region}: move the hub, or leave out member region(s) ${[...new Set(optIn)].join(', ')}`,
        );
    }

    // What the acting functions read as their FLEET_* variables, and the stack's outputs say.
    const fleetVariables: [FleetVariable, string][] = [
      ['fleetExternalId', this.externalId],
      ['fleetSpokeRoleName', fleet.spokeRoleName],
      ['fleetMembers', this.members.listed.map(({ account, region }) => `${account}:${region}`).join(',')],
    ];
    if (this.members.organization) {
      fleetVariables.push(
        ['fleetOrganizationalUnits', fleet.organizationalUnits.join(',')],
        ['fleetRegions', (fleet.regions ?? []).join(',')],
      );
    }

    // Spoke roles trust these roles by ARN, from other accounts: the names must be known at synth.
    this.#actingRoleArns = [];
    const acting = Object.entries(props.acting) as [ActingFunction, GateFunction][];
    const listing: readonly string[] = MEMBER_LISTING_FUNCTIONS;
    for (const [name, fn] of acting) {
      const roleName = hubRoleName(stackName, name);
      (fn.role.node.defaultChild as iam.CfnRole).roleName = roleName;
      this.#actingRoleArns.push(`arn:${stack.partition}:iam::${stack.account}:role/${roleName}`);
      for (const [variable, value] of fleetVariables) fn.function.addEnvironment(ENV[variable], value);
      if (this.members.organization) {
        fn.acknowledgeWildcards({
          [`Resource::${flattenCfnReference(stack.resolve(`arn:${stack.partition}:iam::*:role/${fleet.spokeRoleName}-*`))}`]:
            "Spoke roles of an organizational unit's accounts, which join and leave at run time; held to this organization by aws:ResourceOrgID.",
        });
        if (listing.includes(name)) {
          const units = organizationUnitsArn({ ...this.members, organization: this.members.organization });
          fn.acknowledgeWildcards({
            [`Resource::${flattenCfnReference(stack.resolve(units))}`]:
              "The configured units' child units, which are not known at synth, for listing their accounts (ListChildren, ListAccountsForParent); the management account in an Organizations ARN is not known to a delegated administrator's hub. Held to this organization by its id.",
          });
        }
      }
    }

    const ingest = props.acting.ingest;
    const ingestTimeout = ingest.function.timeout ?? Duration.seconds(30);
    this.ingestQueue = new sqs.Queue(this, 'IngestQueue', {
      queueName: hubIngestQueueName(stackName),
      // SQS-managed keys: SNS delivers to them from any account with no key policy to keep.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(ingestTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: {
        queue: new DeadLetterQueue(this, 'IngestDeadLetters', { redriveTarget: true }),
        maxReceiveCount: 5,
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const statement of fleetIngestQueuePolicy(this.members, this.ingestQueue.queueArn)) {
      this.ingestQueue.addToResourcePolicy(resourceStatement(statement));
    }
    ingest.function.addEventSource(
      new SqsEventSource(this.ingestQueue, { batchSize: 10, reportBatchItemFailures: true }),
    );

    // The bus's name is CDK's (a literal at synth), so members can be told its ARN.
    const busName: unknown = stack.resolve((props.bus.node.defaultChild as events.CfnEventBus).name);
    this.#busArn = `arn:${stack.partition}:events:${stack.region}:${stack.account}:event-bus/${String(busName)}`;
    for (const statement of fleetBusPolicy(this.members, props.bus.eventBusArn)) {
      props.bus.addToResourcePolicy(resourceStatement(statement));
    }
    // Members' forwarded calls arrive on the gate's bus (the default bus's rule sees the hub's own).
    new events.Rule(this, 'MemberApiCalls', {
      description:
        "privatelink-gate: members' endpoint-service API calls (forwarded by their spokes) -> ingest",
      eventBus: props.bus,
      eventPattern: {
        source: ['aws.ec2'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: { eventSource: ['ec2.amazonaws.com'], eventName: PROVIDER_API_CALLS },
      },
      targets: [
        new targets.LambdaFunction(ingest.function, {
          ...EVENT_TARGET_RETRY,
          deadLetterQueue: ingest.deadLetterQueue,
        }),
      ],
    });

    this.unhealthyMembersAlarm = new cloudwatch.Alarm(this, 'UnhealthyMembers', {
      metric: gateMetric(METRIC.unhealthyMembers, cloudwatch.Stats.MAXIMUM),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        'privatelink-gate: a fleet member cannot be reached (spoke missing, role not assumable, wrong external id, permission missing); its requests wait. See `plgate fleet`.',
    });
    this.unhealthyMembersAlarm.addAlarmAction(new actions.SnsAction(props.opsTopic));

    this.stackSet = this.members.organization ? this.organizationStackSet(fleet, stackName) : undefined;

    new CfnOutput(stack, FLEET_STACK_OUTPUTS.ingestQueueArn, { value: this.ingestQueue.queueArn });
    // The fleet as its functions have it, for `plgate … --stack` (cli/fleet-settings.ts).
    for (const [variable, value] of fleetVariables) {
      if (value !== '') new CfnOutput(stack, FLEET_STACK_OUTPUTS[variable], { value });
    }
  }

  /** What every spoke of this hub is built with. */
  spokeHub(): SpokeHub {
    const stack = Stack.of(this);
    return {
      account: stack.account,
      region: stack.region,
      ingestQueueArn: `arn:${stack.partition}:sqs:${stack.region}:${stack.account}:${hubIngestQueueName(this.#stackName)}`,
      busArn: this.#busArn,
      actingRoleArns: [...this.#actingRoleArns],
      operators: [...this.#operators],
      externalId: this.externalId,
    };
  }

  /**
   * Service-managed, with automatic deployment: an account that joins a unit gets its spokes
   * with no manual step, and one that leaves loses them. StackSets never deploy to the
   * management account; list it under `members` if it runs endpoint services. `CallAs` is the
   * config's `stackSetCallAs` (left out: CloudFormation's SELF, the hub in the management
   * account; DELEGATED_ADMIN: the hub in a StackSets delegated administrator's account, the
   * StackSet itself still created in the management account).
   */
  private organizationStackSet(fleet: FleetConfig, stackName: string): cloudformation.CfnStackSet {
    const template = spokeTemplate({ hub: this.spokeHub(), spokeRoleName: fleet.spokeRoleName });
    const stackSet = new cloudformation.CfnStackSet(this, 'SpokeStackSet', {
      stackSetName: `${stackName}-spokes`,
      description: 'privatelink-gate spokes for the organizational units of the fleet',
      permissionModel: 'SERVICE_MANAGED',
      callAs: fleet.stackSetCallAs,
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      operationPreferences: {
        regionConcurrencyType: 'PARALLEL',
        maxConcurrentPercentage: 25,
        failureTolerancePercentage: 10,
      },
      stackInstancesGroup: [
        {
          deploymentTargets: { organizationalUnitIds: [...fleet.organizationalUnits] },
          regions: [...(fleet.regions ?? [])],
        },
      ],
      templateBody: JSON.stringify(template),
    });
    // A spoke subscribes to the queue on creation: the queue and its policy come first.
    stackSet.node.addDependency(this.ingestQueue);
    return stackSet;
  }
}

function resourceStatement(statement: PrincipalStatement): iam.PolicyStatement {
  const { principal } = statement;
  const principals =
    principal === '*'
      ? [new iam.AnyPrincipal()]
      : 'services' in principal
        ? principal.services.map((service) => new iam.ServicePrincipal(service))
        : principal.accounts.map((account) => new iam.AccountPrincipal(account));
  return new iam.PolicyStatement({
    sid: statement.sid,
    principals,
    actions: [...statement.actions],
    resources: [...statement.resources],
    ...(statement.conditions === undefined ? {} : { conditions: statement.conditions }),
  });
}
