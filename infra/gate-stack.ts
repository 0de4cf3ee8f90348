import { CfnOutput, Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { Construct } from 'constructs';
import { ENV } from '../functions/shared/config.ts';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../functions/shared/metrics.ts';
import type { GateStackConfig } from './config.ts';
import {
  connectionActionStatements,
  consumerEndpointsArn,
  describeStatement,
  endpointServicesArn,
  enrollmentStatements,
  organizationsReadStatement,
} from './constructs/endpoint-service-access.ts';
import { GateFunction } from './constructs/gate-function.ts';
import { GateNotifications } from './constructs/notifications.ts';
import { GateOperations } from './constructs/operations.ts';
import { GateTables } from './constructs/tables.ts';
import { GateTriggers } from './constructs/triggers.ts';

/** Output keys the CLI reads with `plgate … --stack NAME`: keep them exactly. */
export const STACK_OUTPUTS = {
  rulesTableName: 'RulesTableName',
  ledgerTableName: 'LedgerTableName',
  decisionsTopicArn: 'DecisionsTopicArn',
  ingestTopicArn: 'IngestTopicArn',
  gateBusName: 'GateBusName',
} as const;

export interface GateStackProps extends StackProps {
  config: GateStackConfig;
}

/** What a provider deploys, once per account and region: privatelink-gate. */
export class GateStack extends Stack {
  readonly tables: GateTables;
  readonly notifications: GateNotifications;
  readonly bus: events.EventBus;
  readonly ingest: GateFunction;
  readonly decide: GateFunction;
  /** Connection events wait here for decide, which takes them in batches. */
  readonly decideQueue: Queue;
  readonly sweep: GateFunction;
  readonly ruleChange: GateFunction;

  constructor(scope: Construct, id: string, props: GateStackProps) {
    super(scope, id, {
      description: 'privatelink-gate: rule-driven acceptance of AWS PrivateLink connection requests',
      ...props,
    });
    const { config } = props;
    // cfn-lint's schema does not know Tags on AWS::CloudWatch::Dashboard yet (E3002); the dashboard goes untagged.
    Tags.of(this).add('project', 'privatelink-gate', {
      excludeResourceTypes: ['AWS::CloudWatch::Dashboard'],
    });

    this.tables = new GateTables(this, 'Tables');
    this.notifications = new GateNotifications(this, 'Notifications', { config });
    this.bus = new events.EventBus(this, 'GateBus', { description: 'privatelink-gate connection events' });
    const { rules, ledger } = this.tables;
    const { decisionsTopic, ingestTopic } = this.notifications;

    const environment: Record<string, string> = {
      [ENV.rulesTable]: rules.tableName,
      [ENV.ledgerTable]: ledger.tableName,
      [ENV.decisionsTopicArn]: decisionsTopic.topicArn,
      [ENV.ingestTopicArn]: ingestTopic.topicArn,
      [ENV.gateBusName]: this.bus.eventBusName,
      [ENV.organizationsLookup]: String(config.organizationsLookup),
      [ENV.ledgerRetentionDays]: String(config.ledgerRetentionDays),
      POWERTOOLS_SERVICE_NAME: METRICS_SERVICE,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      NODE_OPTIONS: '--enable-source-maps',
    };
    const shared = { environment, logRetention: config.logRetentionDays as logs.RetentionDays };
    const asyncRetry = { retryAttempts: 2, maxEventAge: Duration.hours(1) };

    this.ingest = new GateFunction(this, 'Ingest', {
      ...shared,
      handler: 'ingest',
      description: 'privatelink-gate: connection notifications and CloudTrail calls -> Connection Event',
      memorySize: 256,
      timeout: Duration.seconds(30),
      asyncInvoke: asyncRetry,
    });
    this.decide = new GateFunction(this, 'Decide', {
      ...shared,
      handler: 'decide',
      description:
        'privatelink-gate: re-read connections, evaluate rules, accept/reject/hold, record, notify',
      memorySize: 512,
      timeout: Duration.seconds(60),
      // Invoked by its queue's event source mapping only (see DecideQueue), never asynchronously.
      queueFed: true,
      reservedConcurrentExecutions: config.decideReservedConcurrency,
    });
    this.sweep = new GateFunction(this, 'Sweep', {
      ...shared,
      handler: 'sweep',
      description:
        'privatelink-gate: enroll managed services, decide what no event decided, expire, detect drift',
      memorySize: 1024,
      // The sweep continues itself with a Sweep Requested event when it nears the end.
      timeout: Duration.minutes(15),
      // A failed sweep is retried once; the next scheduled sweep covers the rest.
      asyncInvoke: { retryAttempts: 1, maxEventAge: Duration.hours(1) },
    });
    this.ruleChange = new GateFunction(this, 'RuleChange', {
      ...shared,
      handler: 'rule-change',
      description: 'privatelink-gate: rules-table stream -> validate, bump version, request a sweep',
      memorySize: 256,
      timeout: Duration.seconds(60),
    });

    // Ingest records a human's accept or reject from CloudTrail; the gate's own are not manual.
    this.ingest.function.addEnvironment(
      ENV.gateRoleArns,
      [this.decide.role.roleArn, this.sweep.role.roleArn].join(','),
    );

    this.grantDecide(this.decide, config);
    this.grantDecide(this.sweep, config);
    for (const statement of enrollmentStatements(this)) this.sweep.allow(statement);

    this.ingest.allow(
      describeStatement('DescribeServices', ['ec2:DescribeVpcEndpointServiceConfigurations']),
    );
    for (const statement of enrollmentStatements(this)) this.ingest.allow(statement);
    ledger.grantWriteData(this.ingest.role);
    // Ingest reads the rules: an off or held service is never enrolled.
    rules.grantReadData(this.ingest.role);
    this.bus.grantPutEventsTo(this.ingest.role);

    rules.grantReadWriteData(this.ruleChange.role);
    ledger.grantWriteData(this.ruleChange.role);
    decisionsTopic.grantPublish(this.ruleChange.role);
    this.bus.grantPutEventsTo(this.ruleChange.role);

    const triggers = new GateTriggers(this, 'Triggers', {
      bus: this.bus,
      sweepRate: Duration.minutes(config.sweepRate),
      ingestTopic,
      rulesTable: rules,
      ingest: this.ingest,
      decide: this.decide,
      sweep: this.sweep,
      ruleChange: this.ruleChange,
    });
    new GateOperations(this, 'Operations', {
      dashboardName: `${config.stackName}-gate`,
      opsTopic: this.notifications.opsTopic,
      functions: { Ingest: this.ingest, Decide: this.decide, Sweep: this.sweep, RuleChange: this.ruleChange },
      decideQueue: triggers.decideQueue.queue,
    });
    this.decideQueue = triggers.decideQueue.queue;
    this.acknowledgeWildcards();

    new CfnOutput(this, STACK_OUTPUTS.rulesTableName, { value: rules.tableName });
    new CfnOutput(this, STACK_OUTPUTS.ledgerTableName, { value: ledger.tableName });
    new CfnOutput(this, STACK_OUTPUTS.decisionsTopicArn, { value: decisionsTopic.topicArn });
    new CfnOutput(this, STACK_OUTPUTS.ingestTopicArn, { value: ingestTopic.topicArn });
    new CfnOutput(this, STACK_OUTPUTS.gateBusName, { value: this.bus.eventBusName });
    new CfnOutput(this, 'OpsTopicArn', { value: this.notifications.opsTopic.topicArn });
  }

  /** What deciding takes (decide, and sweep which decides what no event did). */
  private grantDecide(fn: GateFunction, config: GateStackConfig): void {
    fn.allow(
      describeStatement('DescribeConnections', [
        'ec2:DescribeVpcEndpointConnections',
        'ec2:DescribeVpcEndpointServiceConfigurations',
      ]),
    );
    for (const statement of connectionActionStatements(this)) fn.allow(statement);
    this.tables.rules.grantReadData(fn.role);
    this.tables.ledger.grantReadWriteData(fn.role);
    this.notifications.decisionsTopic.grantPublish(fn.role);
    this.bus.grantPutEventsTo(fn.role);
    if (config.organizationsLookup) fn.allow(organizationsReadStatement());
  }

  /**
   * cdk-nag IAM5 findings that are the narrowest AWS allows, each with its reason. A
   * finding names the resource as cdk-nag flattens it, which depends on whether account
   * and region are known at synth, so the names are computed, not written out.
   */
  private acknowledgeWildcards(): void {
    const finding = (resource: string) => `Resource::${flattenCfnReference(this.resolve(resource))}`;
    const kmsDataKeys = {
      'Action::kms:GenerateDataKey*':
        'Publishing to a KMS-encrypted topic needs a data key; CDK grants the GenerateDataKey* family on the one topic key only.',
    };
    const ledger = {
      [finding(`${this.tables.ledger.tableArn}/index/*`)]:
        "History queries use the ledger indexes byService and byAccount; the grant covers this table's indexes only.",
    };
    const endpointServices = {
      [finding(endpointServicesArn(this))]:
        'Limited to endpoint services tagged privatelink-gate:managed=true by an aws:ResourceTag condition; the set of managed services changes at run time.',
    };
    const consumerEndpoints = {
      [finding(consumerEndpointsArn(this))]:
        "Accept/Reject also authorize the consumer's endpoint, which lives in the consumer's account and region; the same call must pass the tag-scoped service statement.",
    };
    this.decide.acknowledgeWildcards({
      ...kmsDataKeys,
      ...ledger,
      ...endpointServices,
      ...consumerEndpoints,
    });
    this.sweep.acknowledgeWildcards({ ...kmsDataKeys, ...ledger, ...endpointServices, ...consumerEndpoints });
    this.ingest.acknowledgeWildcards({ ...ledger, ...endpointServices });
    this.ruleChange.acknowledgeWildcards({ ...kmsDataKeys, ...ledger });
  }
}
