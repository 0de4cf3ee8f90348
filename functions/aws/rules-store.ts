/**
 * The rules table in DynamoDB: one item per defaults / service settings / rule, and the
 * `meta`/`version` item whose number every cache compares before re-reading the rules.
 * The gate reads it; `plgate policy push` writes it (putItems, deleteItems, then a
 * conditional version bump so two pushes cannot both win).
 */
import {
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { RulesStore } from '../gate/ports.ts';
import { RULES_TABLE_KEY, VERSION_ITEM } from '../shared/tables.ts';
import { isConditionalCheckFailed } from './aws-errors.ts';
import { backoffDelay, chunk, type RetryPolicy, retryPolicy } from './batch-retry.ts';
import { type AdapterLogger, quietLogger } from './logger.ts';

/** BatchWriteItem takes at most 25 requests. */
const WRITE_BATCH = 25;

export class RulesStoreError extends Error {
  override name = 'RulesStoreError';
}

export interface RulesItemKey {
  kind: string;
  id: string;
}

type WriteRequest = NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string][number];

export interface DynamoRulesStoreOptions {
  logger?: AdapterLogger;
  /** Retries of UnprocessedItems. */
  retry?: Partial<RetryPolicy>;
}

export class DynamoRulesStore implements RulesStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #logger: AdapterLogger;
  readonly #retry: RetryPolicy;

  constructor(doc: DynamoDBDocumentClient, tableName: string, options: DynamoRulesStoreOptions = {}) {
    if (tableName === '') throw new RulesStoreError('tableName: must not be empty');
    this.#doc = doc;
    this.#table = tableName;
    this.#logger = options.logger ?? quietLogger;
    this.#retry = retryPolicy({ maxRetries: 8, ...options.retry });
  }

  async version(): Promise<number> {
    const out = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: { ...VERSION_ITEM },
        ProjectionExpression: '#v',
        ExpressionAttributeNames: { '#v': 'version' },
        ConsistentRead: true,
      }),
    );
    return versionOf(out.Item?.version);
  }

  async items(): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#doc.send(
        new ScanCommand({
          TableName: this.#table,
          ConsistentRead: true,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      // One by one: a spread of a page of many small items can overflow the call stack.
      for (const item of out.Items ?? []) items.push(item);
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  async bumpVersion(): Promise<number> {
    const out = await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { ...VERSION_ITEM },
        UpdateExpression: 'ADD #v :one',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return versionOf(out.Attributes?.version);
  }

  /** Sets the version to expected + 1 if it is still `expected` (0: never set). False when someone else changed it. */
  async conditionalBumpVersion(expected: number): Promise<boolean> {
    if (!Number.isInteger(expected) || expected < 0) {
      throw new RulesStoreError(`expected: must be a whole number >= 0, got ${expected}`);
    }
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { ...VERSION_ITEM },
          UpdateExpression: 'SET #v = :next',
          ConditionExpression:
            expected === 0 ? 'attribute_not_exists(#v) OR #v = :expected' : '#v = :expected',
          ExpressionAttributeNames: { '#v': 'version' },
          ExpressionAttributeValues: { ':next': expected + 1, ':expected': expected },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** Writes whole items (fields as in a rule file plus `kind` and `id`). */
  async putItems(items: readonly Record<string, unknown>[]): Promise<void> {
    const seen = new Set<string>();
    const requests = items.map((item, index): WriteRequest => {
      const key = keyOf(item, `items[${index}]`);
      if (key.kind === VERSION_ITEM.kind) {
        throw new RulesStoreError(
          `items[${index}].kind: "${VERSION_ITEM.kind}" is reserved for the rules version`,
        );
      }
      const name = `${key.kind}/${key.id}`;
      if (seen.has(name)) throw new RulesStoreError(`items[${index}]: duplicate key ${name}`);
      seen.add(name);
      return { PutRequest: { Item: item } };
    });
    await this.#writeAll(requests);
  }

  async deleteItems(keys: readonly RulesItemKey[]): Promise<void> {
    const seen = new Set<string>();
    const requests: WriteRequest[] = [];
    keys.forEach((raw, index) => {
      const key = keyOf(raw, `keys[${index}]`);
      const name = `${key.kind}/${key.id}`;
      if (seen.has(name)) return;
      seen.add(name);
      requests.push({
        DeleteRequest: {
          Key: { [RULES_TABLE_KEY.partitionKey]: key.kind, [RULES_TABLE_KEY.sortKey]: key.id },
        },
      });
    });
    await this.#writeAll(requests);
  }

  /**
   * Deletes one item and says whether this call removed it: of two callers racing to delete
   * the same item, exactly one gets true (DynamoDB returns the old item to that one only).
   */
  async deleteItemIfPresent(raw: RulesItemKey): Promise<boolean> {
    const key = keyOf(raw, 'key');
    const out = await this.#doc.send(
      new DeleteCommand({
        TableName: this.#table,
        Key: { [RULES_TABLE_KEY.partitionKey]: key.kind, [RULES_TABLE_KEY.sortKey]: key.id },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes !== undefined;
  }

  async #writeAll(requests: WriteRequest[]): Promise<void> {
    for (const batch of chunk(requests, WRITE_BATCH)) {
      let pending = batch;
      for (let attempt = 0; pending.length > 0; attempt++) {
        const out = await this.#doc.send(new BatchWriteCommand({ RequestItems: { [this.#table]: pending } }));
        pending = out.UnprocessedItems?.[this.#table] ?? [];
        if (pending.length === 0) break;
        if (attempt >= this.#retry.maxRetries) {
          throw new RulesStoreError(
            `${pending.length} rule item writes still unprocessed after ${attempt + 1} attempts (table ${this.#table})`,
          );
        }
        this.#logger.info('retrying unprocessed rule item writes', {
          count: pending.length,
          attempt: attempt + 1,
        });
        await this.#retry.sleep(backoffDelay(this.#retry, attempt));
      }
    }
  }
}

function keyOf(item: unknown, where: string): RulesItemKey {
  if (typeof item !== 'object' || item === null) throw new RulesStoreError(`${where}: must be an object`);
  const kind: unknown = Reflect.get(item, RULES_TABLE_KEY.partitionKey);
  const id: unknown = Reflect.get(item, RULES_TABLE_KEY.sortKey);
  if (typeof kind !== 'string' || kind === '') {
    throw new RulesStoreError(
      `${where}.${RULES_TABLE_KEY.partitionKey}: must be a non-empty string, got ${JSON.stringify(kind)}`,
    );
  }
  if (typeof id !== 'string' || id === '') {
    throw new RulesStoreError(
      `${where}.${RULES_TABLE_KEY.sortKey}: must be a non-empty string, got ${JSON.stringify(id)}`,
    );
  }
  return { kind, id };
}

function versionOf(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RulesStoreError(
      `version: the ${VERSION_ITEM.kind}/${VERSION_ITEM.id} item holds ${JSON.stringify(value)}, not a whole number`,
    );
  }
  return value;
}
