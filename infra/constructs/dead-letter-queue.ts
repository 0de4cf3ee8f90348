import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * Where a function's failed events end up: encrypted, TLS only, kept the SQS maximum
 * of 14 days so an operator has time to look and redrive.
 */
export class DeadLetterQueue extends sqs.Queue {
  /** `redriveTarget`: another queue's redrive policy names this one, so cdk-nag sees it as a DLQ itself. */
  constructor(scope: Construct, id: string, options: { redriveTarget?: boolean } = {}) {
    super(scope, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    if (options.redriveTarget) return;
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue (for Lambda async invokes, EventBridge targets, SNS and stream failures); a DLQ of a DLQ would only move the problem.',
    });
  }
}
