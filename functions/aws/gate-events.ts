/**
 * The gate's events on its EventBridge bus: `Connection Event` (a trigger for decide),
 * `Connection Decision` (the record, for anyone to subscribe to) and `Sweep Requested`.
 * PutEvents answers 200 even when entries fail, so `FailedEntryCount` is read every
 * time and the failed entries retried; after the bound it throws, so the caller's
 * event is retried or dead-lettered and nothing is lost silently.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { GateEvents, LedgerEntry } from '../gate/ports.ts';
import {
  type ConnectionEventDetail,
  DETAIL_TYPE,
  EVENT_SOURCE,
  type SweepRequestedDetail,
} from '../shared/events.ts';
import { backoffDelay, type RetryPolicy, retryPolicy } from './batch-retry.ts';
import { type AdapterLogger, quietLogger } from './logger.ts';

/** PutEvents takes at most 10 entries, 256 KB in all. */
export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_REQUEST_BYTES = 256 * 1024;

export class GateEventsError extends Error {
  override name = 'GateEventsError';
}

export interface EventBridgeGateEventsOptions {
  logger?: AdapterLogger;
  retry?: Partial<RetryPolicy>;
}

export class EventBridgeGateEvents implements GateEvents {
  readonly #eb: EventBridgeClient;
  readonly #bus: string;
  readonly #logger: AdapterLogger;
  readonly #retry: RetryPolicy;

  constructor(eb: EventBridgeClient, busName: string, options: EventBridgeGateEventsOptions = {}) {
    if (!/^[\w.\-/:]{1,1600}$/.test(busName)) {
      throw new GateEventsError(`busName: not an event bus name or ARN: "${busName}"`);
    }
    this.#eb = eb;
    this.#bus = busName;
    this.#logger = options.logger ?? quietLogger;
    this.#retry = retryPolicy(options.retry);
  }

  async connectionEvents(details: ConnectionEventDetail[]): Promise<void> {
    return this.#put(
      details.map((detail) => {
        const fitted = fitConnectionEvent(detail);
        if (fitted !== detail) {
          this.#logger.warn('raw notification trimmed from connection event', {
            serviceId: detail.serviceId,
            endpointId: detail.endpointId,
          });
        }
        return this.#entry(DETAIL_TYPE.connectionEvent, fitted);
      }),
    );
  }

  async decisions(entries: LedgerEntry[]): Promise<void> {
    return this.#put(entries.map((entry) => this.#entry(DETAIL_TYPE.connectionDecision, entry)));
  }

  async requestSweep(detail: SweepRequestedDetail): Promise<void> {
    return this.#put([this.#entry(DETAIL_TYPE.sweepRequested, detail)]);
  }

  #entry(detailType: string, detail: unknown): PutEventsRequestEntry {
    const entry: PutEventsRequestEntry = {
      EventBusName: this.#bus,
      Source: EVENT_SOURCE,
      DetailType: detailType,
      Detail: JSON.stringify(detail),
    };
    const size = entrySize(entry);
    if (size > MAX_REQUEST_BYTES) {
      throw new GateEventsError(
        `${detailType}: the event is ${size} bytes, more than EventBridge's ${MAX_REQUEST_BYTES}`,
      );
    }
    return entry;
  }

  async #put(entries: PutEventsRequestEntry[]): Promise<void> {
    for (const batch of batches(entries)) await this.#putBatch(batch);
  }

  async #putBatch(batch: PutEventsRequestEntry[]): Promise<void> {
    let pending = batch;
    for (let attempt = 0; ; attempt++) {
      const out = await this.#eb.send(new PutEventsCommand({ Entries: pending }));
      if ((out.FailedEntryCount ?? 0) === 0) return;
      // Results come back in the order of the request; an entry without EventId failed.
      const results = out.Entries ?? [];
      const failed = pending.filter((_, i) => results[i]?.EventId === undefined);
      const codes = [...new Set(results.map((r) => r.ErrorCode).filter((c) => c !== undefined))];
      if (failed.length === 0) return;
      if (attempt >= this.#retry.maxRetries) {
        throw new GateEventsError(
          `${failed.length} of ${batch.length} events not put on ${this.#bus} after ${attempt + 1} attempts (${codes.join(', ')})`,
        );
      }
      this.#logger.info('retrying failed events', { count: failed.length, codes, attempt: attempt + 1 });
      await this.#retry.sleep(backoffDelay(this.#retry, attempt));
      pending = failed;
    }
  }
}

/**
 * EventBridge's own measure of an entry: UTF-8 bytes of Source, DetailType, Detail and
 * Resources, plus 14 for Time when given.
 */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined): number => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return (
    (entry.Time === undefined ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, r) => sum + bytes(r), 0)
  );
}

/** Groups entries into calls of at most 10 entries and 256 KB. */
export function batches(entries: PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const out: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let size = 0;
  for (const entry of entries) {
    const entryBytes = entrySize(entry);
    if (
      current.length === MAX_ENTRIES_PER_CALL ||
      (current.length > 0 && size + entryBytes > MAX_REQUEST_BYTES)
    ) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(entry);
    size += entryBytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Leaves room for source and detail type in the entry. */
const MAX_DETAIL_BYTES = MAX_REQUEST_BYTES - 1024;

/** The raw notification is for the record only: dropped when it would make the event too large. */
function fitConnectionEvent(detail: ConnectionEventDetail): ConnectionEventDetail {
  if (detail.raw === undefined || Buffer.byteLength(JSON.stringify(detail), 'utf8') <= MAX_DETAIL_BYTES)
    return detail;
  const { raw: _dropped, ...rest } = detail;
  return {
    ...rest,
    raw: { trimmed: true, reason: 'the raw notification made the event larger than 256 KB' },
  };
}
