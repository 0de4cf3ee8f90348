import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DECIDE_QUEUE } from '../../functions/shared/decide-queue.ts';
import type { GateFunction } from './gate-function.ts';

/**
 * The queue between the gate's bus and decide: connection events wait up to the batching
 * window and reach decide in batches, which it decides per service in one describe and
 * one accept or reject call. Failed messages (batch item failures) come back after the
 * visibility timeout and go to decide's dead-letter queue after the last receive.
 */
export class DecideQueue extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, decide: GateFunction) {
    super(scope, id);
    const timeout = decide.function.timeout ?? Duration.seconds(60);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's advice for an event source: six times the function timeout plus the window.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6 + DECIDE_QUEUE.batchingWindowSeconds),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: decide.deadLetterQueue, maxReceiveCount: DECIDE_QUEUE.maxReceiveCount },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    decide.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: DECIDE_QUEUE.batchSize,
        maxBatchingWindow: Duration.seconds(DECIDE_QUEUE.batchingWindowSeconds),
        reportBatchItemFailures: true,
      }),
    );
  }
}
