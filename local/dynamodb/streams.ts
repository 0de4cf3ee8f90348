/**
 * DynamoDB Streams for in-process subscribers: after a write that changed an
 * item, each subscriber of the table gets the `DynamoDBStreamEvent` a Lambda
 * event source mapping would pass (view type NEW_AND_OLD_IMAGES).
 */

import { randomUUID } from 'node:crypto';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { Deliveries } from '../deliveries.ts';

export type AttributeMap = Record<string, AttributeValue>;
export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<unknown>;

const ATTRIBUTE_TYPES = new Set(['B', 'BOOL', 'BS', 'L', 'M', 'N', 'NS', 'NULL', 'S', 'SS']);

export function isAttributeValue(value: unknown): value is AttributeValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && ATTRIBUTE_TYPES.has(keys[0] ?? '');
}

export function isAttributeMap(value: unknown): value is AttributeMap {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every(isAttributeValue);
}

/** JSON with object keys sorted, so that equal items compare equal whatever their attribute order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** An item before and after a write; absent means the item did not exist. */
export interface ItemChange {
  keys: AttributeMap;
  oldImage: AttributeMap | undefined;
  newImage: AttributeMap | undefined;
}

interface Subscription {
  handler: StreamHandler;
}

export class TableStreams {
  private readonly subscriptions = new Map<string, Set<Subscription>>();
  private sequence = 0n;
  /** The stream label per table, fixed at the first subscription as a stream ARN's label is. */
  private readonly labels = new Map<string, string>();

  constructor(
    private readonly deliveries: Deliveries,
    private readonly account: string,
    private readonly region: string,
  ) {}

  subscribe(tableName: string, handler: StreamHandler): () => void {
    const set = this.subscriptions.get(tableName) ?? new Set<Subscription>();
    const subscription: Subscription = { handler };
    set.add(subscription);
    this.subscriptions.set(tableName, set);
    if (!this.labels.has(tableName)) this.labels.set(tableName, new Date().toISOString().replace(/Z$/, ''));
    return () => {
      set.delete(subscription);
    };
  }

  hasSubscribers(tableName: string): boolean {
    return (this.subscriptions.get(tableName)?.size ?? 0) > 0;
  }

  streamArn(tableName: string): string {
    const label = this.labels.get(tableName) ?? '1970-01-01T00:00:00.000';
    return `arn:aws:dynamodb:${this.region}:${this.account}:table/${tableName}/stream/${label}`;
  }

  /** Publishes the changes that really changed something, as one event per subscriber. */
  emit(tableName: string, changes: readonly ItemChange[]): void {
    const subscribers = this.subscriptions.get(tableName);
    if (subscribers === undefined || subscribers.size === 0) return;
    const records = changes.flatMap((change) => this.record(tableName, change));
    if (records.length === 0) return;
    for (const subscription of subscribers) {
      this.deliveries.enqueue(subscription, `dynamodb stream ${tableName} (${records.length} records)`, () =>
        subscription.handler({ Records: records.map((record) => structuredClone(record)) }),
      );
    }
  }

  private record(tableName: string, change: ItemChange): DynamoDBRecord[] {
    const { oldImage, newImage } = change;
    if (oldImage === undefined && newImage === undefined) return [];
    if (
      oldImage !== undefined &&
      newImage !== undefined &&
      canonicalJson(oldImage) === canonicalJson(newImage)
    ) {
      return [];
    }
    const eventName = oldImage === undefined ? 'INSERT' : newImage === undefined ? 'REMOVE' : 'MODIFY';
    this.sequence += 1n;
    return [
      {
        eventID: randomUUID().replace(/-/g, ''),
        eventName,
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: this.region,
        dynamodb: {
          ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
          Keys: change.keys,
          ...(newImage === undefined ? {} : { NewImage: newImage }),
          ...(oldImage === undefined ? {} : { OldImage: oldImage }),
          SequenceNumber: (100000000000000000000n + this.sequence).toString(),
          SizeBytes: Buffer.byteLength(JSON.stringify(newImage ?? oldImage ?? {}), 'utf8'),
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
        eventSourceARN: this.streamArn(tableName),
      },
    ];
  }
}
