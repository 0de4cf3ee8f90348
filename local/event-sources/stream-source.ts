/**
 * A DynamoDB stream event source mapping: records reach the function in order, one batch
 * at a time (one shard, ParallelizationFactor 1), after the batch is full or the batching
 * window closes. A failed batch blocks the shard: it is retried (with backoff, a timer of
 * the cloud), split in two first when BisectBatchOnFunctionError is on, resumed from the
 * first failed record when the function reports batch item failures, and given up after
 * MaximumRetryAttempts or MaximumRecordAgeInSeconds: its description then goes to the
 * on-failure queue, as Lambda sends it.
 *
 * The local stream keeps no history before the mapping subscribes: TRIM_HORIZON and LATEST
 * both start at the mapping's creation (the gate creates its mappings with the table).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { QueueSender, QueueWriter } from '../service.ts';
import { batchOutcome } from './batch-failures.ts';
import type { StreamMapping } from './properties.ts';
import type { SourcePorts } from './sqs-source.ts';

/** The stream of a table, as local/dynamodb/streams.ts offers it. */
export interface TableStreamSource {
  subscribe(tableName: string, handler: (event: DynamoDBStreamEvent) => Promise<unknown>): () => void;
}

export interface StreamSourcePorts extends SourcePorts {
  streams: TableStreamSource;
  writer: QueueWriter;
  /** Who sends to the on-failure queue: the function's execution role. */
  onFailureSender(functionArn: string): QueueSender | undefined;
}

interface StreamEntry {
  record: DynamoDBRecord;
  /** On the cloud's clock: when the record reached the stream. */
  arrivedAt: number;
}

interface Batch {
  entries: StreamEntry[];
  retries: number;
  invokes: number;
  lastResponse?: { statusCode: number; executedVersion: string; functionError?: string };
}

/** DynamoDB Streams keep records 24 hours: an unlimited record age is that. */
const STREAM_RETENTION_SECONDS = 86_400;
const MAX_BACKOFF_MS = 60_000;

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

const sequenceOf = (entry: StreamEntry): string => entry.record.dynamodb?.SequenceNumber ?? '';

export class StreamEventSource {
  private readonly buffer: StreamEntry[] = [];
  private readonly work: Batch[] = [];
  private running = false;
  private windowOpen = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  private readonly shardId: string;

  constructor(
    readonly id: string,
    private config: StreamMapping,
    private readonly ports: StreamSourcePorts,
  ) {
    const hash = createHash('sha256').update(config.eventSourceArn).digest('hex');
    this.shardId = `shardId-00000001000000000000-${hash.slice(0, 8)}`;
  }

  start(): void {
    this.unsubscribe = this.ports.streams.subscribe(this.config.tableName, async (event) => {
      if (this.stopped) return;
      const arrivedAt = this.ports.clock.now();
      for (const record of event.Records) {
        this.buffer.push({ record: { ...record, eventSourceARN: this.config.eventSourceArn }, arrivedAt });
      }
      this.poll();
    });
  }

  reconfigure(config: StreamMapping): void {
    this.config = config;
    this.poll();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
  }

  private get label(): string {
    return `event source mapping ${this.id} (${this.config.tableName} stream -> ${this.config.functionArn})`;
  }

  private poll(): void {
    const { config } = this;
    if (this.stopped || !config.enabled || this.running) return;
    if (this.work.length === 0) {
      if (this.buffer.length === 0) return;
      if (this.buffer.length < config.batchSize && config.windowMs > 0) {
        if (this.windowOpen) return;
        this.windowOpen = true;
        this.ports.timers.schedule(
          config.windowMs,
          `${this.label}: batching window`,
          () => {
            this.windowOpen = false;
            this.formBatch();
          },
          { window: true },
        );
        return;
      }
      this.formBatch();
      return;
    }
    this.run(this.work[0] as Batch);
  }

  private formBatch(): void {
    if (this.work.length === 0 && this.buffer.length > 0) {
      this.work.push({ entries: this.buffer.splice(0, this.config.batchSize), retries: 0, invokes: 0 });
    }
    this.poll();
  }

  private run(batch: Batch): void {
    this.running = true;
    this.ports.deliveries.enqueue(this, `${this.label}: batch of ${batch.entries.length}`, async () => {
      let retryInMs: number | undefined;
      try {
        retryInMs = await this.attempt(batch);
      } catch (error) {
        this.ports.log(`${this.label}: ${describe(error)}`);
      }
      if (retryInMs === undefined || retryInMs === 0) {
        this.running = false;
        this.poll();
        return;
      }
      this.ports.timers.schedule(retryInMs, `${this.label}: retry`, () => {
        this.running = false;
        this.poll();
      });
    });
  }

  /** One go at the head batch; answers how long to wait before the next (undefined: go on). */
  private async attempt(batch: Batch): Promise<number | undefined> {
    const { config } = this;
    const maxAgeSeconds =
      config.maxRecordAgeSeconds === -1 ? STREAM_RETENTION_SECONDS : config.maxRecordAgeSeconds;
    const oldest = this.ports.clock.now() - maxAgeSeconds * 1000;
    const expired = batch.entries.filter((entry) => entry.arrivedAt <= oldest);
    if (expired.length > 0) {
      await this.discard(batch, expired, 'RecordAgeExceeded');
      batch.entries = batch.entries.filter((entry) => entry.arrivedAt > oldest);
      if (batch.entries.length === 0) {
        this.work.shift();
        return undefined;
      }
    }
    batch.invokes += 1;
    const event: DynamoDBStreamEvent = {
      Records: batch.entries.map((entry) => structuredClone(entry.record)),
    };
    let failedFrom = 0;
    try {
      const result = await this.ports.invoker.invoke(config.functionArn, event, { kind: 'internal' });
      if (result.ok) {
        batch.lastResponse = { statusCode: 200, executedVersion: '$LATEST' };
        const outcome = config.reportBatchItemFailures
          ? batchOutcome(result.payload, new Set(batch.entries.map(sequenceOf)))
          : ({ kind: 'success' } as const);
        if (outcome.kind === 'success') {
          this.work.shift();
          return undefined;
        }
        if (outcome.kind === 'partial') {
          // Lambda checkpoints before the first failed record and retries from there.
          failedFrom = batch.entries.findIndex((entry) => outcome.failed.has(sequenceOf(entry)));
        }
        this.ports.log(
          `${this.label}: the function reported failed records from ${sequenceOf(batch.entries[failedFrom] as StreamEntry)}`,
        );
      } else {
        batch.lastResponse = { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' };
        this.ports.log(`${this.label}: the batch failed: ${result.errorType}: ${result.errorMessage}`);
      }
    } catch (error) {
      batch.lastResponse = { statusCode: 500, executedVersion: '$LATEST', functionError: 'Unhandled' };
      this.ports.log(`${this.label}: could not invoke: ${describe(error)}`);
    }
    batch.entries = batch.entries.slice(failedFrom);
    if (config.bisectOnError && batch.entries.length > 1) {
      // Splitting does not count as a retry.
      const half = Math.ceil(batch.entries.length / 2);
      const first: Batch = { ...batch, entries: batch.entries.slice(0, half) };
      const second: Batch = { ...batch, entries: batch.entries.slice(half) };
      this.work.splice(0, 1, first, second);
      return undefined;
    }
    batch.retries += 1;
    if (config.maxRetryAttempts !== -1 && batch.retries > config.maxRetryAttempts) {
      await this.discard(batch, batch.entries, 'RetryAttemptsExhausted');
      this.work.shift();
      return undefined;
    }
    return Math.min(1000 * 2 ** (batch.retries - 1), MAX_BACKOFF_MS);
  }

  /** Gives records up: their description goes to the on-failure queue, if there is one. */
  private async discard(batch: Batch, entries: StreamEntry[], condition: string): Promise<void> {
    const { config } = this;
    const first = entries[0] as StreamEntry;
    const last = entries[entries.length - 1] as StreamEntry;
    this.ports.log(
      `${this.label}: ${entries.length} records given up (${condition}), sequence numbers ${sequenceOf(first)} to ${sequenceOf(last)}`,
    );
    if (config.onFailure === undefined) return;
    const arrival = (entry: StreamEntry) => new Date(entry.arrivedAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const failure = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: config.functionArn,
        condition,
        approximateInvokeCount: batch.invokes,
      },
      responseContext: batch.lastResponse ?? { statusCode: 0, executedVersion: '$LATEST' },
      version: '1.0',
      timestamp: new Date(this.ports.clock.now()).toISOString(),
      DDBStreamBatchInfo: {
        shardId: this.shardId,
        startSequenceNumber: sequenceOf(first),
        endSequenceNumber: sequenceOf(last),
        approximateArrivalOfFirstRecord: arrival(first),
        approximateArrivalOfLastRecord: arrival(last),
        batchSize: entries.length,
        streamArn: config.eventSourceArn,
      },
    };
    const sender = this.ports.onFailureSender(config.functionArn);
    if (sender === undefined) {
      this.ports.log(
        `${this.label}: on-failure record not sent: no execution role for ${config.functionArn}`,
      );
      return;
    }
    try {
      await this.ports.writer.send(config.onFailure, JSON.stringify(failure), sender);
    } catch (error) {
      this.ports.log(`${this.label}: on-failure record not sent to ${config.onFailure}: ${describe(error)}`);
    }
  }
}
