import { CfnOutput, Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import {
  ENV,
  OPERATOR_ACTOR_ENV,
  operatorFunctionName,
  SDK_TRACING_ENV,
} from '../functions/shared/config.ts';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../functions/shared/metrics.ts';
import { GateConfigError, type GateStackConfig } from './config.ts';
import { GateFleetHub } from './constructs/fleet-hub.ts';
import { GateFunction } from './constructs/gate-function.ts';
import { GateNotifications } from './constructs/notifications.ts';
import { GateOperations } from './constructs/operations.ts';
import { OperatorButtons } from './constructs/operator-buttons.ts';
import { RegisterApi } from './constructs/register-api.ts';
import { GateTables } from './constructs/tables.ts';
import { GateTriggers } from './constructs/triggers.ts';
import { fleetMembersOf } from './fleet-permissions.ts';
import {
  endpointServicesArn,
  GATE_FUNCTIONS,
  type GateFunctionName,
  type GateResources,
  type GateStatement,
  gatePermissions,
  indexesOf,
} from './permissions.ts';

/** Output keys the CLI reads with `plgate … --stack NAME`: keep them exactly. */
export const STACK_OUTPUTS = {
  rulesTableName: 'RulesTableName',
  ledgerTableName: 'LedgerTableName',
  decisionsTopicArn: 'DecisionsTopicArn',
  ingestTopicArn: 'IngestTopicArn',
  gateBusName: 'GateBusName',
  /** Read by `plgate invite --stack` (cli/register-url.ts). */
  registerUrl: 'RegisterUrl',
} as const;

export interface PrivateLinkGateProps {
  config: GateStackConfig;
}

/**
 * privatelink-gate in a stack of yours: tables, topics, bus, functions, triggers, alarms,
 * outputs. One per stack (its output keys and function names are fixed). GateStack is the
 * ready stack around it; with a fleet configured it is the hub (docs/fleet.md).
 */
export class PrivateLinkGate extends Construct {
  readonly tables: GateTables;
  readonly notifications: GateNotifications;
  readonly bus: events.EventBus;
  readonly ingest: GateFunction;
  readonly decide: GateFunction;
  /** Connection events wait here for decide, which takes them in batches. */
  readonly decideQueue: Queue;
  readonly sweep: GateFunction;
  readonly ruleChange: GateFunction;
  /** The public register URL and its function; absent with `registerApi: false`. */
  readonly register: RegisterApi | undefined;
  readonly operator: GateFunction;
  /** With `fleet` configured: what makes this gate a fleet's hub. */
  readonly fleet: GateFleetHub | undefined;

  constructor(scope: Construct, id: string, props: PrivateLinkGateProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);
    /** Named, for people and the Slack buttons to invoke; from the stack name, so stacks side by side differ. */
    const operatorName = operatorFunctionName(stack.stackName);

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
      [SDK_TRACING_ENV]: String(config.sdkTracing),
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

    this.operator = new GateFunction(this, 'Operator', {
      ...shared,
      handler: 'operator',
      functionName: operatorName,
      description: 'privatelink-gate: approve, deny or explain one endpoint (the Slack buttons)',
      memorySize: 256,
      timeout: Duration.seconds(60),
    });

    // Ingest records a human's accept or reject from CloudTrail; the gate's own are not manual.
    this.ingest.function.addEnvironment(
      ENV.gateRoleArns,
      [this.decide.role.roleArn, this.sweep.role.roleArn].join(','),
    );

    this.register = config.registerApi
      ? new RegisterApi(this, 'Register', {
          environment,
          logRetention: config.logRetentionDays as logs.RetentionDays,
          throttle: { rateLimit: 5, burstLimit: 10 },
        })
      : undefined;

    // Every grant for what the handlers call comes from the one list in permissions.ts.
    const functions: Partial<Record<GateFunctionName, GateFunction>> = {
      ingest: this.ingest,
      decide: this.decide,
      sweep: this.sweep,
      ruleChange: this.ruleChange,
      operator: this.operator,
      ...(this.register ? { register: this.register.function } : {}),
    };
    const fleetMembers = config.fleet && fleetMembersOf(config.fleet, stack.partition);
    const permissions = gatePermissions(this.gateResources(), {
      organizationsLookup: config.organizationsLookup,
      ...(fleetMembers ? { fleet: fleetMembers } : {}),
    });
    for (const name of GATE_FUNCTIONS) {
      const fn = functions[name];
      if (fn === undefined) continue;
      for (const statement of permissions[name]) fn.allow(policyStatement(statement));
    }
    const channel = this.notifications.slackChannel;
    if (channel) {
      // Who acts, for the ledger: the channel (its role's ARN here would make a dependency cycle).
      if (config.slack)
        this.operator.function.addEnvironment(
          OPERATOR_ACTOR_ENV,
          `chatbot:slack/${config.slack.workspaceId}/${config.slack.channelId}`,
        );
      new OperatorButtons(this, 'OperatorButtons', {
        stackName: config.stackName,
        operator: this.operator.function,
        functionName: operatorName,
        channel,
      });
    }

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
      functions: {
        Ingest: this.ingest,
        Decide: this.decide,
        Sweep: this.sweep,
        RuleChange: this.ruleChange,
        ...(this.register ? { Register: this.register.function } : {}),
        Operator: this.operator,
      },
      decideQueue: triggers.decideQueue.queue,
    });
    this.decideQueue = triggers.decideQueue.queue;
    this.acknowledgeWildcards();

    if (config.fleet !== undefined) {
      if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
        const shown = (value: string) => (Token.isUnresolved(value) ? 'unknown' : value);
        throw new GateConfigError(
          `config.fleet: the hub stack's account and region must be known at synth (members' spokes name its queue, bus and roles): give the stack an env, or run cdk with credentials so it sets CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION; got account ${shown(stack.account)}, region ${shown(stack.region)}`,
        );
      }
      this.fleet = new GateFleetHub(this, 'Fleet', {
        fleet: config.fleet,
        members: fleetMembersOf(config.fleet, stack.partition),
        stackName: stack.stackName,
        bus: this.bus,
        acting: {
          ingest: this.ingest,
          decide: this.decide,
          sweep: this.sweep,
          operator: this.operator,
          ...(this.register ? { register: this.register.function } : {}),
        },
        opsTopic: this.notifications.opsTopic,
      });
    } else {
      this.fleet = undefined;
    }

    new CfnOutput(this, STACK_OUTPUTS.rulesTableName, { value: rules.tableName });
    new CfnOutput(this, STACK_OUTPUTS.ledgerTableName, { value: ledger.tableName });
    new CfnOutput(this, STACK_OUTPUTS.decisionsTopicArn, { value: decisionsTopic.topicArn });
    new CfnOutput(this, STACK_OUTPUTS.ingestTopicArn, { value: ingestTopic.topicArn });
    new CfnOutput(this, STACK_OUTPUTS.gateBusName, { value: this.bus.eventBusName });
    if (this.register) new CfnOutput(this, STACK_OUTPUTS.registerUrl, { value: this.register.url });
    new CfnOutput(this, 'OpsTopicArn', { value: this.notifications.opsTopic.topicArn });
  }

  /** The names and ARNs the permission statements are written in terms of. */
  gateResources(): GateResources {
    const stack = Stack.of(this);
    return {
      partition: stack.partition,
      account: stack.account,
      region: stack.region,
      rulesTableArn: this.tables.rules.tableArn,
      ledgerTableArn: this.tables.ledger.tableArn,
      decisionsTopicArn: this.notifications.decisionsTopic.topicArn,
      ingestTopicArn: this.notifications.ingestTopic.topicArn,
      gateBusArn: this.bus.eventBusArn,
      topicKeyArn: this.notifications.key.keyArn,
    };
  }

  /**
   * cdk-nag IAM5 findings that are the narrowest AWS allows, each with its reason. A
   * finding names the resource as cdk-nag flattens it, which depends on whether account
   * and region are known at synth, so the names are computed, not written out.
   */
  private acknowledgeWildcards(): void {
    const finding = (resource: string) =>
      `Resource::${flattenCfnReference(Stack.of(this).resolve(resource))}`;
    const kmsDataKeys = {
      'Action::kms:GenerateDataKey*':
        'Publishing to a KMS-encrypted topic needs a data key; CDK grants the GenerateDataKey* family on the one topic key only.',
    };
    const ledger = {
      [finding(indexesOf(this.tables.ledger.tableArn))]:
        "History queries use the ledger indexes byService and byAccount; the grant covers this table's indexes only.",
    };
    const endpointServices = {
      [finding(endpointServicesArn(this.gateResources()))]:
        'Limited to endpoint services tagged privatelink-gate:managed=true by an aws:ResourceTag condition; the set of managed services changes at run time.',
    };
    this.decide.acknowledgeWildcards({
      ...kmsDataKeys,
      ...ledger,
      ...endpointServices,
    });
    this.sweep.acknowledgeWildcards({ ...kmsDataKeys, ...ledger, ...endpointServices });
    this.operator.acknowledgeWildcards({ ...kmsDataKeys, ...ledger, ...endpointServices });
    this.ingest.acknowledgeWildcards({ ...kmsDataKeys, ...endpointServices });
    this.ruleChange.acknowledgeWildcards(kmsDataKeys);
    this.register?.function.acknowledgeWildcards({ ...kmsDataKeys, ...endpointServices });
  }
}

function policyStatement(statement: GateStatement): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: statement.sid,
    actions: [...statement.actions],
    resources: [...statement.resources],
    ...(statement.conditions === undefined ? {} : { conditions: statement.conditions }),
  });
}
