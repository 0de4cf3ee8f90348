import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { DETAIL_TYPE, EVENT_SOURCE, PROVIDER_API_CALLS } from '../../functions/shared/events.ts';
import { DecideQueue } from './decide-queue.ts';
import type { GateFunction } from './gate-function.ts';

/** Retries and age limit of every EventBridge target; failures go to the function's DLQ. */
export const EVENT_TARGET_RETRY = { retryAttempts: 8, maxEventAge: Duration.hours(2) } as const;

/** The rules-table stream: small batches, split on error, retried, then parked in the DLQ. */
export const RULE_STREAM = {
  batchSize: 10,
  retryAttempts: 5,
  maxRecordAge: Duration.hours(6),
} as const;

export interface GateTriggersProps {
  bus: events.EventBus;
  sweepRate: Duration;
  ingestTopic: sns.Topic;
  rulesTable: dynamodb.Table;
  ingest: GateFunction;
  decide: GateFunction;
  sweep: GateFunction;
  ruleChange: GateFunction;
}

/** Everything that invokes the gate's functions, each with retries and a dead-letter queue. */
export class GateTriggers extends Construct {
  readonly connectionEvents: events.Rule;
  readonly decideQueue: DecideQueue;
  readonly sweepRequests: events.Rule;
  readonly schedule: events.Rule;
  readonly providerCalls: events.Rule;

  constructor(scope: Construct, id: string, props: GateTriggersProps) {
    super(scope, id);
    const target = (fn: GateFunction) =>
      new targets.LambdaFunction(fn.function, { ...EVENT_TARGET_RETRY, deadLetterQueue: fn.deadLetterQueue });

    this.decideQueue = new DecideQueue(this, 'DecideQueue', props.decide);
    this.connectionEvents = new events.Rule(this, 'ConnectionEvents', {
      description: 'privatelink-gate: Connection Event -> decide queue -> decide (batched)',
      eventBus: props.bus,
      eventPattern: { source: [EVENT_SOURCE], detailType: [DETAIL_TYPE.connectionEvent] },
      targets: [
        new targets.SqsQueue(this.decideQueue.queue, {
          ...EVENT_TARGET_RETRY,
          deadLetterQueue: props.decide.deadLetterQueue,
        }),
      ],
    });
    this.sweepRequests = new events.Rule(this, 'SweepRequests', {
      description: 'privatelink-gate: Sweep Requested (continuations, rule changes) -> sweep',
      eventBus: props.bus,
      eventPattern: { source: [EVENT_SOURCE], detailType: [DETAIL_TYPE.sweepRequested] },
      targets: [target(props.sweep)],
    });
    // Schedules only run on the default bus.
    this.schedule = new events.Rule(this, 'SweepSchedule', {
      description: 'privatelink-gate: periodic sweep of every managed endpoint service',
      schedule: events.Schedule.rate(props.sweepRate),
      targets: [target(props.sweep)],
    });
    this.providerCalls = new events.Rule(this, 'ProviderApiCalls', {
      description: "privatelink-gate: the provider's endpoint-service API calls (CloudTrail) -> ingest",
      eventPattern: {
        source: ['aws.ec2'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: { eventSource: ['ec2.amazonaws.com'], eventName: PROVIDER_API_CALLS },
      },
      targets: [target(props.ingest)],
    });

    // SNS invokes asynchronously: the subscription's DLQ catches what SNS cannot deliver,
    // the function's async-invoke config (GateFunction) what the function fails to process.
    props.ingestTopic.addSubscription(
      new subscriptions.LambdaSubscription(props.ingest.function, {
        deadLetterQueue: props.ingest.deadLetterQueue,
      }),
    );

    props.ruleChange.function.addEventSource(
      new DynamoEventSource(props.rulesTable, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: RULE_STREAM.batchSize,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: RULE_STREAM.retryAttempts,
        maxRecordAge: RULE_STREAM.maxRecordAge,
        onFailure: new SqsDlq(props.ruleChange.deadLetterQueue),
      }),
    );
  }
}
