/** Reads what arrived in an SQS queue during a moto test. */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * Receives until `count` messages arrived (or `attempts` empty polls passed) and returns
 * their bodies; a later poll would show whether more than `count` arrive.
 */
export async function receiveBodies(
  sqs: SQSClient,
  queueUrl: string,
  count: number,
  attempts = 50,
): Promise<string[]> {
  const bodies: string[] = [];
  for (let attempt = 0; bodies.length < count && attempt < attempts; attempt++) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const messages = out.Messages ?? [];
    for (const message of messages) bodies.push(message.Body ?? '');
    if (messages.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    } else {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return bodies;
}
