/**
 * The DynamoDB JSON API of the local cloud: dynalite answers, this layer adds
 * what it lacks and the gate needs — stream records for subscribed tables,
 * TransactWriteItems / TransactGetItems, and Update/DescribeTimeToLive — and
 * serializes writes so that stream images and transactions are exact.
 */
import type { Deliveries } from '../deliveries.ts';
import { conditionHolds, isDynaliteHttpError } from './conditions.ts';
import { DynamoDbEngine, type EngineResponse } from './engine.ts';
import { ReadWriteLock } from './lock.ts';
import {
  type AttributeMap,
  canonicalJson,
  type ItemChange,
  isAttributeMap,
  TableStreams,
} from './streams.ts';

export type DynamoDbResponse = EngineResponse;

const CONTENT_TYPE = 'application/x-amz-json-1.0';
const MAX_TRANSACTION_ITEMS = 100;
const ACTIVE_POLL_MS = 5;
const ACTIVE_POLL_ATTEMPTS = 1000;
const TRANSACTION_KINDS = ['Put', 'Update', 'Delete', 'ConditionCheck'] as const;
type TransactionKind = (typeof TRANSACTION_KINDS)[number];

/** An answer to pass back as it is (usually an error from dynalite). */
class AnswerError extends Error {
  override name = 'AnswerError';
  constructor(readonly response: DynamoDbResponse) {
    super(`DynamoDB answered ${response.status}`);
  }
}

function json(status: number, body: unknown): DynamoDbResponse {
  return { status, headers: { 'content-type': CONTENT_TYPE }, body: JSON.stringify(body) };
}

const validationError = (message: string) =>
  new AnswerError(json(400, { __type: 'com.amazon.coral.validate#ValidationException', message }));

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (!isObject(value)) return undefined;
  const entries = Object.entries(value);
  if (!entries.every(([, child]) => typeof child === 'string')) return undefined;
  return Object.fromEntries(entries.map(([name, child]) => [name, String(child)]));
}

interface TransactionItem {
  kind: TransactionKind;
  table: string;
  key: AttributeMap;
  operation: JsonObject;
}

export interface EmbeddedDynamoDbOptions {
  dataDir?: string;
  account: string;
  region: string;
  deliveries: Deliveries;
}

export class EmbeddedDynamoDb {
  private readonly lock = new ReadWriteLock();
  private readonly keySchemas = new Map<string, string[]>();
  private readonly timeToLive = new Map<string, { enabled: boolean; attributeName: string }>();

  private constructor(
    private readonly engine: DynamoDbEngine,
    readonly streams: TableStreams,
  ) {}

  static async start(options: EmbeddedDynamoDbOptions): Promise<EmbeddedDynamoDb> {
    const engine = await DynamoDbEngine.start({
      account: options.account,
      region: options.region,
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    });
    return new EmbeddedDynamoDb(
      engine,
      new TableStreams(options.deliveries, options.account, options.region),
    );
  }

  stop(): Promise<void> {
    return this.engine.stop();
  }

  /** One request of the DynamoDB JSON API (`operation` from `X-Amz-Target: DynamoDB_20120810.<operation>`). */
  async handle(operation: string, body: string): Promise<DynamoDbResponse> {
    const request = parseJson(body);
    if (!isObject(request)) {
      return json(400, {
        __type: 'com.amazon.coral.service#SerializationException',
        message: 'Malformed JSON body',
      });
    }
    try {
      switch (operation) {
        case 'PutItem':
        case 'UpdateItem':
        case 'DeleteItem':
          return await this.lock.exclusive(() => this.writeItem(operation, body, request));
        case 'BatchWriteItem':
          return await this.lock.exclusive(() => this.batchWrite(body, request));
        case 'TransactWriteItems':
          return await this.lock.exclusive(() => this.transactWrite(request));
        case 'TransactGetItems':
          return await this.lock.shared(() => this.transactGet(request));
        case 'UpdateTimeToLive':
          return await this.lock.exclusive(() => this.updateTimeToLive(request));
        case 'DescribeTimeToLive':
          return await this.lock.shared(() => this.describeTimeToLive(request));
        case 'CreateTable':
        case 'DeleteTable':
        case 'UpdateTable':
          return await this.lock.exclusive(async () => {
            if (typeof request.TableName === 'string') {
              this.keySchemas.delete(request.TableName);
              if (operation === 'DeleteTable') this.timeToLive.delete(request.TableName);
            }
            const response = await this.engine.call(operation, body);
            if (
              response.status === 200 &&
              operation !== 'DeleteTable' &&
              typeof request.TableName === 'string'
            ) {
              await this.untilActive(request.TableName);
            }
            return response;
          });
        default:
          return await this.lock.shared(() => this.engine.call(operation, body));
      }
    } catch (error) {
      if (error instanceof AnswerError) return error.response;
      if (isDynaliteHttpError(error)) return json(error.statusCode, error.body);
      throw error;
    }
  }

  // ---- helpers --------------------------------------------------------------------------

  /**
   * dynalite answers CreateTable/UpdateTable with CREATING/UPDATING, as DynamoDB
   * does, and turns ACTIVE a moment later. The answer is held back until then, so
   * a client that writes right after creating a table (without a waiter) works.
   */
  private async untilActive(table: string): Promise<void> {
    for (let attempt = 0; attempt < ACTIVE_POLL_ATTEMPTS; attempt += 1) {
      const description = await this.callOk('DescribeTable', { TableName: table });
      const status = isObject(description.Table) ? description.Table : {};
      const indexes = Array.isArray(status.GlobalSecondaryIndexes) ? status.GlobalSecondaryIndexes : [];
      const indexesActive = indexes.every((index) => isObject(index) && index.IndexStatus === 'ACTIVE');
      if (status.TableStatus === 'ACTIVE' && indexesActive) return;
      await new Promise((resolve) => setTimeout(resolve, ACTIVE_POLL_MS));
    }
  }

  private async callOk(operation: string, request: JsonObject): Promise<JsonObject> {
    const response = await this.engine.call(operation, JSON.stringify(request));
    if (response.status !== 200) throw new AnswerError(response);
    const parsed = parseJson(response.body);
    return isObject(parsed) ? parsed : {};
  }

  /** The partition key's attribute name of a table; undefined when there is no such table. */
  async partitionKeyName(table: string): Promise<string | undefined> {
    try {
      return (await this.keyNames(table))[0];
    } catch (error) {
      if (error instanceof AnswerError) return undefined;
      throw error;
    }
  }

  private async keyNames(table: string): Promise<string[]> {
    const cached = this.keySchemas.get(table);
    if (cached !== undefined) return cached;
    const description = await this.callOk('DescribeTable', { TableName: table });
    const schema = isObject(description.Table) ? description.Table.KeySchema : undefined;
    const names = Array.isArray(schema)
      ? schema.flatMap((element) =>
          isObject(element) && typeof element.AttributeName === 'string' ? [element.AttributeName] : [],
        )
      : [];
    this.keySchemas.set(table, names);
    return names;
  }

  private async keyOf(table: string, item: AttributeMap): Promise<AttributeMap> {
    const names = await this.keyNames(table);
    const key: AttributeMap = {};
    for (const name of names) {
      const value = item[name];
      if (value === undefined) throw validationError('One of the required keys was not given a value');
      key[name] = value;
    }
    return key;
  }

  private async readItem(table: string, key: AttributeMap): Promise<AttributeMap | undefined> {
    const result = await this.callOk('GetItem', { TableName: table, Key: key, ConsistentRead: true });
    return isAttributeMap(result.Item) ? result.Item : undefined;
  }

  /** The key a single write touches, or undefined when the request is too broken to say (dynalite will reject it). */
  private async writeKey(
    operation: string,
    table: string,
    request: JsonObject,
  ): Promise<AttributeMap | undefined> {
    if (operation === 'PutItem')
      return isAttributeMap(request.Item) ? this.keyOf(table, request.Item) : undefined;
    return isAttributeMap(request.Key) ? request.Key : undefined;
  }

  // ---- single writes and batches --------------------------------------------------------

  private async writeItem(operation: string, body: string, request: JsonObject): Promise<DynamoDbResponse> {
    const table = request.TableName;
    if (typeof table !== 'string' || !this.streams.hasSubscribers(table))
      return this.engine.call(operation, body);
    const key = await this.writeKey(operation, table, request);
    if (key === undefined) return this.engine.call(operation, body);
    const oldImage = await this.readItem(table, key);
    const response = await this.engine.call(operation, body);
    if (response.status === 200) {
      this.streams.emit(table, [{ keys: key, oldImage, newImage: await this.readItem(table, key) }]);
    }
    return response;
  }

  private async batchWrite(body: string, request: JsonObject): Promise<DynamoDbResponse> {
    const requestItems = isObject(request.RequestItems) ? request.RequestItems : {};
    const watched: Array<{ table: string; key: AttributeMap; oldImage: AttributeMap | undefined }> = [];
    for (const [table, writes] of Object.entries(requestItems)) {
      if (!this.streams.hasSubscribers(table) || !Array.isArray(writes)) continue;
      for (const write of writes) {
        if (!isObject(write)) continue;
        let key: AttributeMap | undefined;
        if (isObject(write.PutRequest) && isAttributeMap(write.PutRequest.Item)) {
          key = await this.keyOf(table, write.PutRequest.Item);
        } else if (isObject(write.DeleteRequest) && isAttributeMap(write.DeleteRequest.Key)) {
          key = write.DeleteRequest.Key;
        }
        if (key !== undefined) watched.push({ table, key, oldImage: await this.readItem(table, key) });
      }
    }
    const response = await this.engine.call('BatchWriteItem', body);
    if (response.status !== 200) return response;
    const changes = new Map<string, ItemChange[]>();
    for (const { table, key, oldImage } of watched) {
      const list = changes.get(table) ?? [];
      list.push({ keys: key, oldImage, newImage: await this.readItem(table, key) });
      changes.set(table, list);
    }
    for (const [table, list] of changes) this.streams.emit(table, list);
    return response;
  }

  // ---- transactions ------------------------------------------------------------------

  private async transactionItems(request: JsonObject): Promise<TransactionItem[]> {
    const transactItems = request.TransactItems;
    if (!Array.isArray(transactItems)) {
      throw validationError(
        "1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null",
      );
    }
    if (transactItems.length < 1 || transactItems.length > MAX_TRANSACTION_ITEMS) {
      throw validationError(
        `1 validation error detected: Value '${transactItems.length} items' at 'transactItems' failed to satisfy constraint: Member must have length between 1 and ${MAX_TRANSACTION_ITEMS}`,
      );
    }
    const items: TransactionItem[] = [];
    const seen = new Set<string>();
    for (const element of transactItems) {
      const kinds = isObject(element) ? TRANSACTION_KINDS.filter((kind) => element[kind] !== undefined) : [];
      const kind = kinds[0];
      const operation = kind === undefined || !isObject(element) ? undefined : element[kind];
      if (kinds.length !== 1 || kind === undefined || !isObject(operation)) {
        throw validationError('TransactItems can only contain one of ConditionCheck, Put, Update or Delete');
      }
      const table = operation.TableName;
      if (typeof table !== 'string' || table === '') {
        throw validationError(
          `The parameter 'TableName' is required but was not present in the ${kind} request`,
        );
      }
      let key: AttributeMap;
      if (kind === 'Put') {
        if (!isAttributeMap(operation.Item))
          throw validationError('Put requires an Item of attribute values');
        key = await this.keyOf(table, operation.Item);
      } else {
        if (!isAttributeMap(operation.Key))
          throw validationError(`${kind} requires a Key of attribute values`);
        key = operation.Key;
      }
      const identity = `${table}\u0000${canonicalJson(key)}`;
      if (seen.has(identity)) {
        throw validationError('Transaction request cannot include multiple operations on one item');
      }
      seen.add(identity);
      items.push({ kind, table, key, operation });
    }
    return items;
  }

  private conditionOf(item: TransactionItem): Parameters<typeof conditionHolds>[0] | undefined {
    const expression = item.operation.ConditionExpression;
    if (expression === undefined) {
      if (item.kind === 'ConditionCheck') {
        throw validationError(
          "The parameter 'ConditionExpression' is required but was not present in the request",
        );
      }
      return undefined;
    }
    if (typeof expression !== 'string') throw validationError('ConditionExpression must be a string');
    const names = stringRecord(item.operation.ExpressionAttributeNames);
    const values = item.operation.ExpressionAttributeValues;
    return {
      TableName: item.table,
      Key: item.key,
      ConditionExpression: expression,
      ...(names === undefined ? {} : { ExpressionAttributeNames: names }),
      ...(isAttributeMap(values) ? { ExpressionAttributeValues: values } : {}),
    };
  }

  private async transactWrite(request: JsonObject): Promise<DynamoDbResponse> {
    const items = await this.transactionItems(request);
    const oldImages = await Promise.all(items.map((item) => this.readItem(item.table, item.key)));
    // Every condition is checked before anything is written, as DynamoDB does.
    const reasons = items.map((item, index) => {
      const condition = this.conditionOf(item);
      const oldImage = oldImages[index];
      if (condition === undefined || conditionHolds(condition, oldImage)) return { Code: 'None' };
      return {
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        ...(item.operation.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && oldImage !== undefined
          ? { Item: oldImage }
          : {}),
      };
    });
    if (reasons.some((reason) => reason.Code !== 'None')) {
      return json(400, {
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        CancellationReasons: reasons,
      });
    }
    const applied: number[] = [];
    for (const [index, item] of items.entries()) {
      if (item.kind === 'ConditionCheck') continue;
      const { ReturnValuesOnConditionCheckFailure: _ignored, ...operation } = item.operation;
      const response = await this.engine.call(`${item.kind}Item`, JSON.stringify(operation));
      if (response.status !== 200) {
        await this.rollBack(items, oldImages, applied);
        return response;
      }
      applied.push(index);
    }
    const changes = new Map<string, ItemChange[]>();
    for (const index of applied) {
      const item = items[index];
      if (item === undefined || !this.streams.hasSubscribers(item.table)) continue;
      const list = changes.get(item.table) ?? [];
      list.push({
        keys: item.key,
        oldImage: oldImages[index],
        newImage: await this.readItem(item.table, item.key),
      });
      changes.set(item.table, list);
    }
    for (const [table, list] of changes) this.streams.emit(table, list);
    return json(200, {});
  }

  /** Puts back the items a failed transaction had already written. */
  private async rollBack(
    items: readonly TransactionItem[],
    oldImages: ReadonlyArray<AttributeMap | undefined>,
    applied: readonly number[],
  ): Promise<void> {
    for (const index of [...applied].reverse()) {
      const item = items[index];
      if (item === undefined) continue;
      const oldImage = oldImages[index];
      if (oldImage === undefined) await this.callOk('DeleteItem', { TableName: item.table, Key: item.key });
      else await this.callOk('PutItem', { TableName: item.table, Item: oldImage });
    }
  }

  private async transactGet(request: JsonObject): Promise<DynamoDbResponse> {
    const transactItems = request.TransactItems;
    if (
      !Array.isArray(transactItems) ||
      transactItems.length < 1 ||
      transactItems.length > MAX_TRANSACTION_ITEMS
    ) {
      throw validationError(`TransactItems must hold between 1 and ${MAX_TRANSACTION_ITEMS} Get requests`);
    }
    const responses: JsonObject[] = [];
    for (const element of transactItems) {
      const get = isObject(element) ? element.Get : undefined;
      if (!isObject(get)) throw validationError('TransactGetItems can only contain Get requests');
      const result = await this.callOk('GetItem', { ...get, ConsistentRead: true });
      responses.push(result.Item === undefined ? {} : { Item: result.Item });
    }
    return json(200, { Responses: responses });
  }

  // ---- time to live ------------------------------------------------------------------

  private async updateTimeToLive(request: JsonObject): Promise<DynamoDbResponse> {
    const table = request.TableName;
    const specification = request.TimeToLiveSpecification;
    if (typeof table !== 'string') throw validationError("The parameter 'TableName' is required");
    if (
      !isObject(specification) ||
      typeof specification.Enabled !== 'boolean' ||
      typeof specification.AttributeName !== 'string' ||
      specification.AttributeName === ''
    ) {
      throw validationError('TimeToLiveSpecification needs Enabled (boolean) and AttributeName (string)');
    }
    await this.callOk('DescribeTable', { TableName: table });
    const current = this.timeToLive.get(table);
    if (current?.enabled === specification.Enabled) {
      throw validationError(`TimeToLive is already ${specification.Enabled ? 'enabled' : 'disabled'}`);
    }
    this.timeToLive.set(table, {
      enabled: specification.Enabled,
      attributeName: specification.AttributeName,
    });
    return json(200, {
      TimeToLiveSpecification: { Enabled: specification.Enabled, AttributeName: specification.AttributeName },
    });
  }

  private async describeTimeToLive(request: JsonObject): Promise<DynamoDbResponse> {
    const table = request.TableName;
    if (typeof table !== 'string') throw validationError("The parameter 'TableName' is required");
    await this.callOk('DescribeTable', { TableName: table });
    const current = this.timeToLive.get(table);
    return json(200, {
      TimeToLiveDescription:
        current?.enabled === true
          ? { TimeToLiveStatus: 'ENABLED', AttributeName: current.attributeName }
          : { TimeToLiveStatus: 'DISABLED' },
    });
  }
}
