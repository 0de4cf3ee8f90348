/**
 * An SQS event source mapping: Lambda's pollers receive from the queue and hand the
 * function one `SQSEvent` per batch. A batch goes when it is full or when the batching
 * window (a timer of the cloud) closes; up to MaximumConcurrency batches run at once.
 * What succeeded is deleted; what failed stays hidden for the queue's visibility timeout,
 * then comes back, counting a receive, and moves to the dead-letter queue after
 * `maxReceiveCount`, as on AWS.
 */
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { FunctionInvoker } from '../service.ts';
import type { ReceivedMessage } from '../sqs/queue.ts';
import type { QueueConsumer } from '../sqs/service.ts';
import { batchOutcome } from './batch-failures.ts';
import type { SqsMapping } from './properties.ts';

export interface SourcePorts {
  invoker: FunctionInvoker;
  deliveries: { enqueue(subscriber: object, label: string, deliver: () => Promise<unknown>): void };
  timers: { schedule(delayMs: number, label: string, run: () => void, options?: { window?: boolean }): void };
  clock: { now(): number };
  log: (line: string) => void;
}

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

export function sqsRecordOf(queueArn: string, { message, receiptHandle }: ReceivedMessage): SQSRecord {
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, attribute] of Object.entries(message.messageAttributes)) {
    messageAttributes[name] = {
      ...(attribute.StringValue === undefined ? {} : { stringValue: attribute.StringValue }),
      ...(attribute.BinaryValue === undefined ? {} : { binaryValue: attribute.BinaryValue }),
      stringListValues: [],
      binaryListValues: [],
      dataType: attribute.DataType,
    };
  }
  return {
    messageId: message.messageId,
    receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: message.senderId,
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveAt ?? message.sentAt),
      ...(message.deadLetterQueueSourceArn === undefined
        ? {}
        : { DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn }),
    },
    messageAttributes,
    md5OfBody: message.md5OfBody,
    ...(message.md5OfMessageAttributes === undefined
      ? {}
      : { md5OfMessageAttributes: message.md5OfMessageAttributes }),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? '',
  };
}

export class SqsEventSource {
  private inFlight = 0;
  private windowOpen = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    readonly id: string,
    private config: SqsMapping,
    private readonly queues: QueueConsumer,
    private readonly ports: SourcePorts,
  ) {}

  start(): void {
    this.unsubscribe = this.queues.onAvailable(this.config.eventSourceArn, () => this.poll());
    this.poll();
  }

  /** Takes a changed configuration (same queue); a re-enabled mapping polls again. */
  reconfigure(config: SqsMapping): void {
    this.config = config;
    this.poll();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
  }

  private get label(): string {
    return `event source mapping ${this.id} (${this.config.eventSourceArn} -> ${this.config.functionArn})`;
  }

  /** Starts a batch when one is full, or opens the batching window for what is there. */
  private poll(): void {
    const { config } = this;
    if (this.stopped || !config.enabled || this.inFlight >= config.maxConcurrency) return;
    const visible = this.queues.visibleCount(config.eventSourceArn);
    if (visible === 0) return;
    if (visible >= config.batchSize || config.windowMs === 0) {
      this.takeBatch();
      return;
    }
    if (this.windowOpen) return;
    this.windowOpen = true;
    this.ports.timers.schedule(
      config.windowMs,
      `${this.label}: batching window`,
      () => {
        this.windowOpen = false;
        this.takeBatch();
      },
      { window: true },
    );
  }

  private takeBatch(): void {
    const { config } = this;
    if (this.stopped || !config.enabled || this.inFlight >= config.maxConcurrency) return;
    const batch = this.queues.receive(config.eventSourceArn, config.batchSize);
    if (batch.length === 0) return;
    this.inFlight += 1;
    // Each batch its own subscriber: batches run side by side, as Lambda's pollers do.
    this.ports.deliveries.enqueue({}, `${this.label}: batch of ${batch.length}`, () =>
      this.invoke(batch).finally(() => {
        this.inFlight -= 1;
        this.poll();
      }),
    );
    this.poll();
  }

  /** One invocation; deletes what succeeded, returns the rest to the queue. Never throws. */
  private async invoke(batch: ReceivedMessage[]): Promise<void> {
    const { config } = this;
    const failed = await this.failedIn(batch);
    for (const { message, receiptHandle } of batch) {
      if (failed.has(message.messageId)) this.queues.returnAfterTimeout(config.eventSourceArn, receiptHandle);
      else this.queues.delete(config.eventSourceArn, receiptHandle);
    }
  }

  /** Invokes the function; the ids of the messages that failed (all of them when the function did). */
  private async failedIn(batch: ReceivedMessage[]): Promise<Set<string>> {
    const { config } = this;
    const all = new Set(batch.map(({ message }) => message.messageId));
    const event: SQSEvent = {
      Records: batch.map((received) => sqsRecordOf(config.eventSourceArn, received)),
    };
    let payload: unknown;
    try {
      const result = await this.ports.invoker.invoke(config.functionArn, event, { kind: 'internal' });
      if (!result.ok) {
        this.ports.log(
          `${this.label}: the batch of ${batch.length} failed: ${result.errorType}: ${result.errorMessage}`,
        );
        return all;
      }
      payload = result.payload;
    } catch (error) {
      this.ports.log(`${this.label}: could not invoke: ${describe(error)}`);
      return all;
    }
    if (!config.reportBatchItemFailures) return new Set();
    const outcome = batchOutcome(payload, all);
    if (outcome.kind === 'success') return new Set();
    if (outcome.kind === 'partial') return outcome.failed;
    this.ports.log(
      `${this.label}: the batch of ${batch.length} failed: its batchItemFailures name no message of it`,
    );
    return all;
  }
}
