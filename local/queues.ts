/**
 * An SQS queue with a Lambda event source mapping, in process: what the stack puts
 * between the gate's bus and the decide function. Messages wait up to the batching window
 * (or until a batch is full), then one invocation gets them all as an `SQSEvent`; the ids
 * it reports in `batchItemFailures` (every id, when it throws) come back after the
 * visibility timeout, and go to the dead-letter list after `maxReceives` receives. One
 * batch at a time, like an event source mapping with maximum concurrency reached.
 * The window is a timer of the local cloud, so `settle()` closes it at once and `idle()`
 * waits for it.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Deliveries, Timers } from './deliveries.ts';

export interface BatchQueueOptions {
  /** The batching window (MaximumBatchingWindowInSeconds, in ms). 0: each message as soon as it comes. */
  windowMs: number;
  /** Messages per invocation at most (BatchSize). */
  maxSize: number;
  /** Receives before a message is dead-lettered (the redrive policy's maxReceiveCount). */
  maxReceives: number;
  /** Before a failed message is received again (the visibility timeout, shortened). */
  visibilityTimeoutMs: number;
}

export type BatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined | unknown>;

interface Message {
  id: string;
  body: string;
  sentAt: number;
  receives: number;
}

export class BatchQueue {
  private buffer: Message[] = [];
  private windowOpen = false;
  private readonly dead: Message[] = [];
  private stopped = false;

  constructor(
    private readonly arn: string,
    private readonly options: BatchQueueOptions,
    private readonly handler: BatchHandler,
    private readonly deliveries: Deliveries,
    private readonly timers: Timers,
    private readonly log: (line: string) => void,
  ) {}

  send(body: string): void {
    if (this.stopped) return;
    this.buffer.push({ id: randomUUID(), body, sentAt: Date.now(), receives: 0 });
    this.poll();
  }

  /** Messages that failed `maxReceives` times (the dead-letter queue's contents). */
  deadLetters(): string[] {
    return this.dead.map((m) => m.body);
  }

  stop(): void {
    this.stopped = true;
    this.buffer = [];
  }

  /** Opens the window for what is buffered, or hands a full batch over now. */
  private poll(): void {
    if (this.buffer.length === 0) return;
    if (this.buffer.length >= this.options.maxSize) {
      this.invokeNext();
      return;
    }
    if (this.windowOpen) return;
    this.windowOpen = true;
    this.timers.schedule(this.options.windowMs, `${this.arn} batching window`, () => {
      this.windowOpen = false;
      this.invokeNext();
    });
  }

  private invokeNext(): void {
    this.deliveries.enqueue(this, `sqs ${this.arn} batch`, async () => {
      const batch = this.buffer.splice(0, this.options.maxSize);
      if (batch.length === 0 || this.stopped) return;
      const failed = await this.invoke(batch);
      for (const message of batch) {
        if (!failed.has(message.id)) continue;
        if (message.receives >= this.options.maxReceives) {
          this.dead.push(message);
          this.log(`sqs ${this.arn}: message ${message.id} dead-lettered after ${message.receives} receives`);
          continue;
        }
        this.timers.schedule(this.options.visibilityTimeoutMs, `${this.arn} visibility ${message.id}`, () => {
          if (this.stopped) return;
          this.buffer.push(message);
          this.poll();
        });
      }
      this.poll();
    });
  }

  /** One invocation; the ids that failed (all of them when the handler throws). */
  private async invoke(batch: Message[]): Promise<Set<string>> {
    for (const message of batch) message.receives += 1;
    try {
      const response = await this.handler({ Records: batch.map((m) => this.record(m)) });
      return new Set(failuresIn(response));
    } catch (error) {
      this.log(
        `sqs ${this.arn}: the batch of ${batch.length} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      return new Set(batch.map((m) => m.id));
    }
  }

  private record(message: Message): SQSRecord {
    const [, , , region = 'us-east-1'] = this.arn.split(':');
    return {
      messageId: message.id,
      receiptHandle: `${message.id}#${message.receives}`,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receives),
        SentTimestamp: String(message.sentAt),
        SenderId: 'events.amazonaws.com',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(message.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: region,
    };
  }
}

function failuresIn(response: unknown): string[] {
  if (response === null || typeof response !== 'object' || !('batchItemFailures' in response)) return [];
  const failures = response.batchItemFailures;
  if (!Array.isArray(failures)) return [];
  return failures.flatMap((f: unknown) =>
    f !== null && typeof f === 'object' && 'itemIdentifier' in f && typeof f.itemIdentifier === 'string'
      ? [f.itemIdentifier]
      : [],
  );
}
