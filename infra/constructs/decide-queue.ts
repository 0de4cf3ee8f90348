import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LEASE_MARGIN_MS } from '../../functions/gate/lease-duration.ts';
import { DECIDE_QUEUE } from '../../functions/shared/decide-queue.ts';
import type { GateFunction } from './gate-function.ts';

/** After the decider's leases ran out, before its message is given again. */
const REDELIVERY_SLACK_SECONDS = 15;

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
      // A message comes back once the leases its decider took can have run out (the decider's
      // deadline plus the lease margin), so a request whose decider died is decided again
      // within two minutes. Lambda's advice of six times the timeout guards against a
      // throttled batch being received again: here that only costs a receive, decide being
      // idempotent, and a message dead-lettered early is found again by the sweep.
      visibilityTimeout: Duration.seconds(
        timeout.toSeconds() +
          DECIDE_QUEUE.batchingWindowSeconds +
          LEASE_MARGIN_MS / 1000 +
          REDELIVERY_SLACK_SECONDS,
      ),
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
