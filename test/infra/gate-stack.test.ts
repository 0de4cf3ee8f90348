import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_LEASE_MS, leaseMsFor } from '../../functions/gate/lease-duration.ts';
import { ENV, SDK_TRACING_ENV } from '../../functions/shared/config.ts';
import { DECIDE_QUEUE } from '../../functions/shared/decide-queue.ts';
import { DETAIL_TYPE, EVENT_SOURCE } from '../../functions/shared/events.ts';
import { METRIC, METRICS_NAMESPACE, OUTCOME_METRIC } from '../../functions/shared/metrics.ts';
import type { GateFunction } from '../../infra/constructs/gate-function.ts';
import { STACK_OUTPUTS } from '../../infra/gate-stack.ts';
import {
  FULL_CONFIG,
  logicalIdOf,
  registerApiOf,
  render,
  type SynthesizedGate,
  sharedGate,
} from './synth.ts';

let plain: SynthesizedGate;
let full: SynthesizedGate;

// Waits for the run's one `cdk synth` when another file started it (test/support/synth-cache.ts).
beforeAll(() => {
  plain = sharedGate({});
  full = sharedGate(FULL_CONFIG);
}, 600_000);
afterAll(() => {
  plain?.dispose();
  full?.dispose();
});

const FunctionEnvironment = z.object({ Variables: z.record(z.string(), z.unknown()) });
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const functions = (gate: SynthesizedGate): Record<string, GateFunction> => ({
  ingest: gate.stack.gate.ingest,
  decide: gate.stack.gate.decide,
  sweep: gate.stack.gate.sweep,
  'rule-change': gate.stack.gate.ruleChange,
  register: registerApiOf(gate.stack).function,
  operator: gate.stack.gate.operator,
});
const dlqOf = (fn: GateFunction) => arnOf(logicalIdOf(fn.deadLetterQueue));

describe('tables', () => {
  it('keeps rules on demand with a stream, PITR, deletion protection, retained on delete', () => {
    plain.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'kind', KeyType: 'HASH' },
          { AttributeName: 'id', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('keeps the ledger with a TTL and history indexes by service and by account', () => {
    plain.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'endpointId', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byService',
            KeySchema: [
              { AttributeName: 'serviceId', KeyType: 'HASH' },
              { AttributeName: 'at', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: 'byAccount',
            KeySchema: [
              { AttributeName: 'account', KeyType: 'HASH' },
              { AttributeName: 'at', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      },
    });
    plain.template.resourceCountIs('AWS::DynamoDB::Table', 2);
  });
});

describe('functions', () => {
  const sizes: Record<string, { memory: number; timeout: number }> = {
    ingest: { memory: 256, timeout: 30 },
    decide: { memory: 512, timeout: 60 },
    sweep: { memory: 1024, timeout: 900 },
    'rule-change': { memory: 256, timeout: 60 },
    register: { memory: 256, timeout: 15 },
    operator: { memory: 256, timeout: 60 },
  };

  it('share the defaults: nodejs22.x on arm64, ESM bundle, active tracing, own log group, own role', () => {
    plain.template.resourceCountIs('AWS::Lambda::Function', 6);
    for (const [name, fn] of Object.entries(functions(plain))) {
      const resource = plain.json.Resources[logicalIdOf(fn.function)];
      expect(resource?.Properties, name).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        MemorySize: sizes[name]?.memory,
        Timeout: sizes[name]?.timeout,
        LoggingConfig: { LogGroup: { Ref: logicalIdOf(fn.logGroup) } },
        Role: arnOf(logicalIdOf(fn.role)),
      });
    }
  });

  it('get every setting the handlers read from the environment', () => {
    const bus = logicalIdOf(plain.stack.gate.bus);
    for (const fn of Object.values(functions(plain))) {
      const variables = FunctionEnvironment.parse(
        structuredClone(plain.json.Resources[logicalIdOf(fn.function)]?.Properties?.Environment),
      );
      if (fn === plain.stack.gate.ingest) {
        // Ingest alone knows the gate's roles, to tell its own accepts from a human's.
        expect(variables.Variables[ENV.gateRoleArns]).toEqual({
          'Fn::Join': [
            '',
            [
              arnOf(logicalIdOf(plain.stack.gate.decide.role)),
              ',',
              arnOf(logicalIdOf(plain.stack.gate.sweep.role)),
            ],
          ],
        });
        delete variables.Variables[ENV.gateRoleArns];
      }
      expect(variables).toEqual({
        Variables: {
          [ENV.rulesTable]: { Ref: logicalIdOf(plain.stack.gate.tables.rules) },
          [ENV.ledgerTable]: { Ref: logicalIdOf(plain.stack.gate.tables.ledger) },
          [ENV.decisionsTopicArn]: { Ref: logicalIdOf(plain.stack.gate.notifications.decisionsTopic) },
          [ENV.ingestTopicArn]: { Ref: logicalIdOf(plain.stack.gate.notifications.ingestTopic) },
          [ENV.gateBusName]: { Ref: bus },
          [ENV.organizationsLookup]: 'false',
          [ENV.ledgerRetentionDays]: '400',
          POWERTOOLS_SERVICE_NAME: 'privatelink-gate',
          POWERTOOLS_METRICS_NAMESPACE: 'PrivateLinkGate',
          [SDK_TRACING_ENV]: 'false',
          NODE_OPTIONS: '--enable-source-maps',
        },
      });
    }
    const fullVariables =
      full.json.Resources[logicalIdOf(full.stack.gate.decide.function)]?.Properties?.Environment;
    expect(fullVariables).toMatchObject({
      Variables: {
        [ENV.organizationsLookup]: 'true',
        [ENV.ledgerRetentionDays]: '90',
        [SDK_TRACING_ENV]: 'true',
      },
    });
  });

  it('keep logs for the configured number of days', () => {
    // Six functions' logs and the register API's access logs.
    plain.template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 90 }, 7);
    full.template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 7);
  });

  it('reserve concurrency for decide only when configured', () => {
    for (const fn of Object.values(functions(plain))) {
      expect(
        plain.json.Resources[logicalIdOf(fn.function)]?.Properties?.ReservedConcurrentExecutions,
      ).toBeUndefined();
    }
    expect(
      full.json.Resources[logicalIdOf(full.stack.gate.decide.function)]?.Properties
        ?.ReservedConcurrentExecutions,
    ).toBe(5);
  });
});

describe('decide queue', () => {
  it('takes Connection Events from the gate bus and hands them to decide in batches, reporting item failures', () => {
    const queue = logicalIdOf(plain.stack.gate.decideQueue);
    plain.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalIdOf(plain.stack.gate.bus) },
      EventPattern: { source: [EVENT_SOURCE], 'detail-type': [DETAIL_TYPE.connectionEvent] },
      Targets: [
        Match.objectLike({
          Arn: arnOf(queue),
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: dlqOf(plain.stack.gate.decide) },
        }),
      ],
    });
    plain.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(queue),
      FunctionName: { Ref: logicalIdOf(plain.stack.gate.decide.function) },
      BatchSize: DECIDE_QUEUE.batchSize,
      MaximumBatchingWindowInSeconds: DECIDE_QUEUE.batchingWindowSeconds,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('is encrypted, TLS only, gives a message again once its decider’s leases ran out, and dead-letters after the last receive', () => {
    const queue = plain.json.Resources[logicalIdOf(plain.stack.gate.decideQueue)]?.Properties;
    expect(queue).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 60 + DECIDE_QUEUE.batchingWindowSeconds + 15 + 15,
      RedrivePolicy: {
        deadLetterTargetArn: dlqOf(plain.stack.gate.decide),
        maxReceiveCount: DECIDE_QUEUE.maxReceiveCount,
      },
    });
    plain.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalIdOf(plain.stack.gate.decideQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: Match.arrayWith(['sqs:SendMessage']),
          }),
        ]),
      },
    });
  });

  it('alarms when a connection event waits in it too long', () => {
    plain.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalIdOf(plain.stack.gate.decideQueue), 'QueueName'] },
        },
      ],
      Threshold: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: logicalIdOf(plain.stack.gate.notifications.opsTopic) }],
    });
  });
});

describe('dead-letter queues', () => {
  it('one per function: encrypted, TLS only, 14 days', () => {
    // Six dead-letter queues and the decide queue.
    plain.template.resourceCountIs('AWS::SQS::Queue', 7);
    plain.template.resourcePropertiesCountIs(
      'AWS::SQS::Queue',
      { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 },
      6,
    );
    for (const fn of Object.values(functions(plain))) {
      plain.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: logicalIdOf(fn.deadLetterQueue) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });
});

describe('asynchronous invocations', () => {
  it('retry, expire and dead-letter for every async-invoked function (decide is fed by its queue)', () => {
    const expected = { ingest: 2, sweep: 1 };
    for (const [name, retries] of Object.entries(expected)) {
      const fn = functions(plain)[name];
      if (fn === undefined) throw new Error(name);
      plain.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalIdOf(fn.function) },
        MaximumRetryAttempts: retries,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: dlqOf(fn) } },
      });
    }
    plain.template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 2);
  });

  const target = (fn: GateFunction) => ({
    Arn: arnOf(logicalIdOf(fn.function)),
    RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
    DeadLetterConfig: { Arn: dlqOf(fn) },
  });

  it('route Sweep Requested on the gate bus, and a schedule at the configured rate, to sweep', () => {
    plain.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalIdOf(plain.stack.gate.bus) },
      EventPattern: { source: [EVENT_SOURCE], 'detail-type': [DETAIL_TYPE.sweepRequested] },
      Targets: [Match.objectLike(target(plain.stack.gate.sweep))],
    });
    plain.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      EventBusName: Match.absent(),
      Targets: [Match.objectLike(target(plain.stack.gate.sweep))],
    });
    full.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(10 minutes)' });
  });

  it("route the provider's CloudTrail calls on the default bus to ingest", () => {
    plain.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.absent(),
      EventPattern: {
        source: ['aws.ec2'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['ec2.amazonaws.com'],
          eventName: [
            'CreateVpcEndpointServiceConfiguration',
            'CreateTags',
            'AcceptVpcEndpointConnections',
            'RejectVpcEndpointConnections',
            'ModifyVpcEndpointServiceConfiguration',
          ],
        },
      },
      Targets: [Match.objectLike(target(plain.stack.gate.ingest))],
    });
    plain.template.resourceCountIs('AWS::Events::Rule', 4);
  });

  it('subscribe ingest to the ingest topic with a dead-letter queue', () => {
    plain.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: logicalIdOf(plain.stack.gate.notifications.ingestTopic) },
      Endpoint: arnOf(logicalIdOf(plain.stack.gate.ingest.function)),
      RedrivePolicy: { deadLetterTargetArn: dlqOf(plain.stack.gate.ingest) },
    });
  });

  it('feed the rules-table stream to rule-change in small, split, retried batches with a DLQ', () => {
    plain.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(plain.stack.gate.tables.rules), 'StreamArn'] },
      FunctionName: { Ref: logicalIdOf(plain.stack.gate.ruleChange.function) },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 10,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 21_600,
      DestinationConfig: { OnFailure: { Destination: dlqOf(plain.stack.gate.ruleChange) } },
    });
  });
});

describe('topics and key', () => {
  it('encrypt every topic with one rotating customer managed key and refuse plain HTTP', () => {
    const key = logicalIdOf(plain.stack.gate.notifications.key);
    plain.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    plain.template.resourceCountIs('AWS::SNS::Topic', 3);
    plain.template.resourcePropertiesCountIs('AWS::SNS::Topic', { KmsMasterKeyId: arnOf(key) }, 3);
    plain.template.resourcePropertiesCountIs(
      'AWS::SNS::TopicPolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sns:Publish',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      },
      3,
    );
  });

  it('let vpce.amazonaws.com publish to the ingest topic only for this account and its endpoint services', () => {
    plain.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalIdOf(plain.stack.gate.notifications.ingestTopic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'EndpointServiceNotifications',
            Effect: 'Allow',
            Principal: { Service: 'vpce.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: logicalIdOf(plain.stack.gate.notifications.ingestTopic) },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':ec2:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':vpc-endpoint-service/*',
                    ],
                  ],
                },
              },
            },
          },
        ]),
      },
    });
    // No other topic lets vpce publish.
    const vpcePublishers = Object.values(plain.json.Resources).filter(
      (resource) =>
        resource.Type === 'AWS::SNS::TopicPolicy' && JSON.stringify(resource).includes('vpce.amazonaws.com'),
    );
    expect(vpcePublishers).toHaveLength(1);
  });

  it("let this account's CloudWatch alarms publish to the ops topic", () => {
    plain.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalIdOf(plain.stack.gate.notifications.opsTopic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'CloudWatchAlarms',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: logicalIdOf(plain.stack.gate.notifications.opsTopic) },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':cloudwatch:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':alarm:*',
                    ],
                  ],
                },
              },
            },
          },
        ]),
      },
    });
  });

  it('let vpce.amazonaws.com and CloudWatch alarms use the key, for this account only', () => {
    for (const service of ['vpce.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      plain.template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Sid: Match.anyValue(),
              Effect: 'Allow',
              Principal: { Service: service },
              Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
              Resource: '*',
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ]),
        },
      });
    }
  });
});

describe('notifications', () => {
  it('has no subscribers or Slack channel unless configured', () => {
    plain.template.resourceCountIs('AWS::SNS::Subscription', 1);
    plain.template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
  });

  it('subscribes each e-mail to decisions and the alarm e-mail to ops', () => {
    const decisions = { Ref: logicalIdOf(full.stack.gate.notifications.decisionsTopic) };
    for (const address of FULL_CONFIG.emailSubscriptions) {
      full.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: address,
        TopicArn: decisions,
      });
    }
    full.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: FULL_CONFIG.alarmEmail,
      TopicArn: { Ref: logicalIdOf(full.stack.gate.notifications.opsTopic) },
    });
  });

  it('subscribes extra SQS and Lambda subscribers by ARN', () => {
    const decisions = { Ref: logicalIdOf(full.stack.gate.notifications.decisionsTopic) };
    const [queue, fn] = FULL_CONFIG.extraSubscriberArns;
    full.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      Endpoint: queue,
      TopicArn: decisions,
    });
    full.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      Endpoint: fn,
      TopicArn: decisions,
    });
    // Ingest + two e-mails + alarm e-mail + SQS + Lambda.
    full.template.resourceCountIs('AWS::SNS::Subscription', 6);
  });

  it('sends decisions and alarms to Slack through AWS Chatbot with a read-only guardrail', () => {
    full.template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'GateFull-decisions',
      SlackWorkspaceId: FULL_CONFIG.slack.workspaceId,
      SlackChannelId: FULL_CONFIG.slack.channelId,
      SnsTopicArns: [
        { Ref: logicalIdOf(full.stack.gate.notifications.decisionsTopic) },
        { Ref: logicalIdOf(full.stack.gate.notifications.opsTopic) },
      ],
      // Read-only, plus invoking the operator function (the Slack buttons: operator-buttons.test.ts).
      GuardrailPolicies: Match.arrayWith([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/ReadOnlyAccess']] },
      ]),
    });
  });
});

describe('operations', () => {
  const ops = () => ({ Ref: logicalIdOf(plain.stack.gate.notifications.opsTopic) });

  it('alarms on any failed decision', () => {
    plain.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: OUTCOME_METRIC.failed,
      Dimensions: [{ Name: 'service', Value: 'privatelink-gate' }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [ops()],
    });
  });

  it('alarms when the rules table cannot be read (every request is held meanwhile)', () => {
    plain.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.rulesUnreadable,
      Dimensions: [{ Name: 'service', Value: 'privatelink-gate' }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [ops()],
    });
  });

  it("alarms on every dead-letter queue's depth and every function's errors and throttles", () => {
    for (const fn of Object.values(functions(plain))) {
      plain.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(fn.deadLetterQueue), 'QueueName'] } },
        ],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [ops()],
      });
      for (const metric of ['Errors', 'Throttles']) {
        plain.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(fn.function) } }],
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmActions: [ops()],
        });
      }
    }
    // Rules unreadable, held requests, three per function, and the decide queue's oldest message.
    plain.template.resourceCountIs('AWS::CloudWatch::Alarm', 2 + 6 * 3 + 1);
  });

  it('has a dashboard with outcomes, latency percentiles, held requests, DLQ depth and errors', () => {
    plain.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const dashboard = Object.values(plain.json.Resources).find(
      (resource) => resource.Type === 'AWS::CloudWatch::Dashboard',
    );
    const body = render(dashboard?.Properties?.DashboardBody);
    for (const text of [
      'Decisions per outcome',
      ...Object.values(OUTCOME_METRIC),
      'DecisionLatency',
      '"stat":"p50"',
      '"stat":"p90"',
      '"stat":"Maximum"',
      'HeldRequests',
      'ApproximateNumberOfMessagesVisible',
      'Errors',
      'Throttles',
    ]) {
      expect(body, text).toContain(text);
    }
  });
});

describe('outputs', () => {
  it('exports the names and ARNs the CLI reads with --stack, under their exact keys', () => {
    plain.template.hasOutput(STACK_OUTPUTS.rulesTableName, {
      Value: { Ref: logicalIdOf(plain.stack.gate.tables.rules) },
    });
    plain.template.hasOutput(STACK_OUTPUTS.ledgerTableName, {
      Value: { Ref: logicalIdOf(plain.stack.gate.tables.ledger) },
    });
    plain.template.hasOutput(STACK_OUTPUTS.decisionsTopicArn, {
      Value: { Ref: logicalIdOf(plain.stack.gate.notifications.decisionsTopic) },
    });
    plain.template.hasOutput(STACK_OUTPUTS.ingestTopicArn, {
      Value: { Ref: logicalIdOf(plain.stack.gate.notifications.ingestTopic) },
    });
    plain.template.hasOutput(STACK_OUTPUTS.gateBusName, {
      Value: { Ref: logicalIdOf(plain.stack.gate.bus) },
    });
    expect(Object.keys(plain.json.Outputs ?? {})).toEqual(
      expect.arrayContaining([
        'RulesTableName',
        'LedgerTableName',
        'DecisionsTopicArn',
        'IngestTopicArn',
        'GateBusName',
      ]),
    );
  });

  it('names the stack from config', () => {
    expect(plain.stack.stackName).toBe('PrivateLinkGate');
    expect(full.stack.stackName).toBe('GateFull');
  });
});

describe('leases and timeouts', () => {
  it('a decide invocation ends before any lease it took can run out', () => {
    const decide = plain.template.toJSON().Resources[logicalIdOf(plain.stack.gate.decide.function)];
    const timeoutSeconds: unknown = decide?.Properties?.Timeout;
    expect(typeof timeoutSeconds).toBe('number');
    expect(Number(timeoutSeconds) * 1000).toBeLessThan(DEFAULT_LEASE_MS);
  });

  it('a message whose decider died comes back after its leases ran out, within two minutes', () => {
    const decide = plain.json.Resources[logicalIdOf(plain.stack.gate.decide.function)]?.Properties;
    const queue = plain.json.Resources[logicalIdOf(plain.stack.gate.decideQueue)]?.Properties;
    const timeoutMs = Number(decide?.Timeout) * 1000;
    const windowMs = DECIDE_QUEUE.batchingWindowSeconds * 1000;
    const visibilityMs = Number(queue?.VisibilityTimeout) * 1000;
    // The leases of an invocation started at the end of the window end a margin after its timeout.
    const lastLeaseEnds = windowMs + leaseMsFor({ remainingMs: () => timeoutMs });
    expect(visibilityMs).toBeGreaterThan(lastLeaseEnds);
    expect(visibilityMs).toBeLessThanOrEqual(120_000);
  });
});
