import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoRulesStore, RulesStoreError } from '../../../functions/aws/rules-store.ts';

const TABLE = 'plgate-rules';
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
);
const docMock = mockClient(doc);
const store = (sleep = async (_ms: number) => {}) =>
  new DynamoRulesStore(doc, TABLE, { retry: { sleep, maxRetries: 3 } });
const conditionFailed = () =>
  Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });

beforeEach(() => {
  docMock.reset();
});

describe('version', () => {
  it('reads only the version attribute of meta/version, consistently', async () => {
    docMock.on(GetCommand).resolves({ Item: { version: 7 } });
    expect(await store().version()).toBe(7);
    expect(docMock.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { kind: 'meta', id: 'version' },
      ProjectionExpression: '#v',
      ExpressionAttributeNames: { '#v': 'version' },
      ConsistentRead: true,
    });
  });

  it('is 0 when never set, and an error naming the field when the item holds something else', async () => {
    docMock
      .on(GetCommand)
      .resolvesOnce({})
      .resolvesOnce({ Item: { version: 'x' } });
    expect(await store().version()).toBe(0);
    await expect(store().version()).rejects.toThrow(/version: the meta\/version item holds "x"/);
  });

  it('bumpVersion adds one atomically and returns the new number', async () => {
    docMock.on(UpdateCommand).resolves({ Attributes: { version: 4 } });
    expect(await store().bumpVersion()).toBe(4);
    expect(docMock.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { kind: 'meta', id: 'version' },
      UpdateExpression: 'ADD #v :one',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    });
  });

  it('conditionalBumpVersion wins only against the expected version', async () => {
    docMock.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    expect(await store().conditionalBumpVersion(3)).toBe(true);
    expect(await store().conditionalBumpVersion(3)).toBe(false);
    expect(docMock.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      UpdateExpression: 'SET #v = :next',
      ConditionExpression: '#v = :expected',
      ExpressionAttributeValues: { ':next': 4, ':expected': 3 },
    });
  });

  it('conditionalBumpVersion from 0 also accepts a table that never had a version', async () => {
    docMock.on(UpdateCommand).resolves({});
    expect(await store().conditionalBumpVersion(0)).toBe(true);
    expect(docMock.commandCalls(UpdateCommand)[0]?.args[0].input.ConditionExpression).toBe(
      'attribute_not_exists(#v) OR #v = :expected',
    );
    await expect(store().conditionalBumpVersion(-1)).rejects.toThrow(RulesStoreError);
  });

  it('conditionalBumpVersion propagates errors other than a failed condition', async () => {
    docMock.on(UpdateCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(store().conditionalBumpVersion(1)).rejects.toThrow('slow down');
  });
});

describe('items', () => {
  it('scans every page', async () => {
    docMock
      .on(ScanCommand)
      .resolvesOnce({ Items: [{ kind: 'rule', id: 'a' }], LastEvaluatedKey: { kind: 'rule', id: 'a' } })
      .resolvesOnce({ Items: [{ kind: 'meta', id: 'version', version: 2 }] });
    expect(await store().items()).toEqual([
      { kind: 'rule', id: 'a' },
      { kind: 'meta', id: 'version', version: 2 },
    ]);
    expect(docMock.commandCalls(ScanCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({
      kind: 'rule',
      id: 'a',
    });
  });
});

describe('putItems and deleteItems', () => {
  const rule = (i: number) => ({ kind: 'rule', id: `r${i}`, effect: 'accept' });

  it('writes 25 items per BatchWriteItem', async () => {
    docMock.on(BatchWriteCommand).resolves({});
    await store().putItems(Array.from({ length: 60 }, (_, i) => rule(i)));
    const sizes = docMock
      .commandCalls(BatchWriteCommand)
      .map((c) => c.args[0].input.RequestItems?.[TABLE]?.length);
    expect(sizes).toEqual([25, 25, 10]);
    expect(docMock.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.[TABLE]?.[0]).toEqual({
      PutRequest: { Item: rule(0) },
    });
  });

  it('retries UnprocessedItems with backoff until all are written', async () => {
    const leftOver = [{ PutRequest: { Item: rule(1) } }];
    docMock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { [TABLE]: leftOver } })
      .resolvesOnce({ UnprocessedItems: { [TABLE]: leftOver } })
      .resolvesOnce({ UnprocessedItems: {} });
    const sleep = vi.fn(async (_ms: number) => {});
    await store(sleep).putItems([rule(0), rule(1)]);
    const calls = docMock.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems?.[TABLE]);
    expect(calls).toEqual([
      [{ PutRequest: { Item: rule(0) } }, { PutRequest: { Item: rule(1) } }],
      leftOver,
      leftOver,
    ]);
    expect(sleep).toHaveBeenCalledTimes(2);
  });

  it('throws after the bound rather than losing writes', async () => {
    docMock
      .on(BatchWriteCommand)
      .resolves({ UnprocessedItems: { [TABLE]: [{ PutRequest: { Item: rule(1) } }] } });
    await expect(store().putItems([rule(1)])).rejects.toThrow(
      /1 rule item writes still unprocessed after 4 attempts/,
    );
  });

  it('validates keys, refuses duplicates and the reserved meta kind, naming the item', async () => {
    await expect(store().putItems([{ kind: 'rule' }])).rejects.toThrow(
      /items\[0\]\.id: must be a non-empty string/,
    );
    await expect(store().putItems([rule(1), rule(1)])).rejects.toThrow(/items\[1\]: duplicate key rule\/r1/);
    await expect(store().putItems([{ kind: 'meta', id: 'version', version: 9 }])).rejects.toThrow(/reserved/);
    expect(docMock.calls()).toHaveLength(0);
  });

  it('deletes by key, 25 per call, each key once', async () => {
    docMock.on(BatchWriteCommand).resolves({});
    await store().deleteItems([
      { kind: 'rule', id: 'a' },
      { kind: 'rule', id: 'a' },
      { kind: 'service', id: 'vpce-svc-0123456789abcdef0' },
    ]);
    expect(docMock.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.[TABLE]).toEqual([
      { DeleteRequest: { Key: { kind: 'rule', id: 'a' } } },
      { DeleteRequest: { Key: { kind: 'service', id: 'vpce-svc-0123456789abcdef0' } } },
    ]);
  });
});
