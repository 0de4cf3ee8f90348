import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactGetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../local/cloud.ts';
import { awsError, dynamoFor, startTestCloud } from '../../support/local-cloud.ts';

let cloud: LocalCloud;
let dynamo: DynamoDBClient;
let documents: DynamoDBDocumentClient;

async function createTable(name: string): Promise<void> {
  await dynamo.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
}

/** Subscribes to a table and returns the records it receives, flattened in order. */
function watch(table: string): DynamoDBRecord[] {
  const records: DynamoDBRecord[] = [];
  cloud.dynamodb.onTableChange(table, async (event: DynamoDBStreamEvent) => {
    records.push(...event.Records);
  });
  return records;
}

const key = (pk: string, sk = 'meta') => ({ pk: { S: pk }, sk: { S: sk } });

beforeAll(async () => {
  cloud = await startTestCloud();
  dynamo = dynamoFor(cloud);
  documents = DynamoDBDocumentClient.from(dynamo);
});
afterAll(async () => {
  await cloud.stop();
});

describe('stream records', () => {
  it('reports INSERT, MODIFY and REMOVE with keys and images, and nothing for no-ops', async () => {
    await createTable('rules-stream');
    const records = watch('rules-stream');
    await dynamo.send(
      new PutItemCommand({ TableName: 'rules-stream', Item: { ...key('rule'), effect: { S: 'accept' } } }),
    );
    await dynamo.send(
      new UpdateItemCommand({
        TableName: 'rules-stream',
        Key: key('rule'),
        UpdateExpression: 'SET effect = :e',
        ExpressionAttributeValues: { ':e': { S: 'reject' } },
      }),
    );
    // Writing the same item again changes nothing: no record, as on DynamoDB Streams.
    await dynamo.send(
      new PutItemCommand({ TableName: 'rules-stream', Item: { effect: { S: 'reject' }, ...key('rule') } }),
    );
    await dynamo.send(new DeleteItemCommand({ TableName: 'rules-stream', Key: key('rule') }));
    await dynamo.send(new DeleteItemCommand({ TableName: 'rules-stream', Key: key('never-there') }));
    await cloud.idle();
    expect(records.map((record) => record.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    expect(records[0]).toMatchObject({
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      eventSourceARN: cloud.dynamodb.streamArn('rules-stream'),
      dynamodb: {
        Keys: key('rule'),
        NewImage: { ...key('rule'), effect: { S: 'accept' } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(records[0]?.dynamodb?.OldImage).toBeUndefined();
    expect(records[1]?.dynamodb).toMatchObject({
      OldImage: { effect: { S: 'accept' } },
      NewImage: { effect: { S: 'reject' } },
    });
    expect(records[2]?.dynamodb?.NewImage).toBeUndefined();
    expect(records[2]?.dynamodb?.OldImage).toMatchObject({ effect: { S: 'reject' } });
    const sequence = records.map((record) => BigInt(record.dynamodb?.SequenceNumber ?? '0'));
    expect([...sequence].sort((a, b) => (a < b ? -1 : 1))).toEqual(sequence);
    expect(cloud.dynamodb.streamArn('rules-stream')).toMatch(
      /^arn:aws:dynamodb:us-east-1:000000000000:table\/rules-stream\/stream\/\d{4}-/,
    );
  });

  it('reports nothing for a write whose condition fails, which fails as on DynamoDB', async () => {
    await createTable('conditional');
    const records = watch('conditional');
    await dynamo.send(new PutItemCommand({ TableName: 'conditional', Item: key('a') }));
    const failed = await awsError(
      dynamo.send(
        new PutItemCommand({
          TableName: 'conditional',
          Item: key('a'),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    expect(failed.name).toBe('ConditionalCheckFailedException');
    await cloud.idle();
    expect(records.map((record) => record.eventName)).toEqual(['INSERT']);
  });

  it('reports every item of a BatchWriteItem in one event', async () => {
    await createTable('batched');
    await dynamo.send(new PutItemCommand({ TableName: 'batched', Item: { ...key('old'), v: { N: '1' } } }));
    const events: DynamoDBStreamEvent[] = [];
    cloud.dynamodb.onTableChange('batched', async (event) => {
      events.push(event);
    });
    await dynamo.send(
      new BatchWriteItemCommand({
        RequestItems: {
          batched: [
            { PutRequest: { Item: { ...key('new'), v: { N: '2' } } } },
            { DeleteRequest: { Key: key('old') } },
          ],
        },
      }),
    );
    await cloud.idle();
    expect(events).toHaveLength(1);
    expect(events[0]?.Records.map((record) => [record.eventName, record.dynamodb?.Keys?.pk?.S])).toEqual([
      ['INSERT', 'new'],
      ['REMOVE', 'old'],
    ]);
  });

  it('keeps old and new images consistent under concurrent writes', async () => {
    await createTable('counters');
    const records = watch('counters');
    await Promise.all(
      Array.from({ length: 20 }, () =>
        dynamo.send(
          new UpdateItemCommand({
            TableName: 'counters',
            Key: key('counter'),
            UpdateExpression: 'ADD hits :one',
            ExpressionAttributeValues: { ':one': { N: '1' } },
          }),
        ),
      ),
    );
    await cloud.idle();
    expect(records).toHaveLength(20);
    records.forEach((record, index) => {
      expect(record.dynamodb?.NewImage?.hits?.N).toBe(String(index + 1));
      expect(record.dynamodb?.OldImage?.hits?.N).toBe(index === 0 ? undefined : String(index));
    });
  });
});

describe('transactions', () => {
  it('writes every item of a TransactWriteItems and streams them', async () => {
    await createTable('ledger-tx');
    const records = watch('ledger-tx');
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: 'ledger-tx',
              Item: { pk: 'vpce-1', sk: 'state', outcome: 'accepted' },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Put: { TableName: 'ledger-tx', Item: { pk: 'vpce-1', sk: 'entry#1', outcome: 'accepted' } } },
        ],
      }),
    );
    const state = await documents.send(
      new GetCommand({ TableName: 'ledger-tx', Key: { pk: 'vpce-1', sk: 'state' } }),
    );
    expect(state.Item).toEqual({ pk: 'vpce-1', sk: 'state', outcome: 'accepted' });
    await cloud.idle();
    expect(records.map((record) => [record.eventName, record.dynamodb?.Keys?.sk?.S])).toEqual([
      ['INSERT', 'state'],
      ['INSERT', 'entry#1'],
    ]);
  });

  it('cancels the whole transaction when one condition fails, with reasons per item', async () => {
    await createTable('ledger-cancel');
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: 'ledger-cancel', Item: { pk: 'vpce-2', sk: 'state', version: 1 } } },
        ],
      }),
    );
    const records = watch('ledger-cancel');
    const error = await awsError(
      documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: 'ledger-cancel', Item: { pk: 'vpce-2', sk: 'entry#2' } } },
            {
              Update: {
                TableName: 'ledger-cancel',
                Key: { pk: 'vpce-2', sk: 'state' },
                UpdateExpression: 'SET version = :next',
                ConditionExpression: 'version = :expected',
                ExpressionAttributeValues: { ':next': 3, ':expected': 2 },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          ],
        }),
      ),
    );
    expect(error.name).toBe('TransactionCanceledException');
    expect('CancellationReasons' in error ? error.CancellationReasons : undefined).toEqual([
      { Code: 'None' },
      {
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        Item: { pk: { S: 'vpce-2' }, sk: { S: 'state' }, version: { N: '1' } },
      },
    ]);
    const entry = await documents.send(
      new GetCommand({ TableName: 'ledger-cancel', Key: { pk: 'vpce-2', sk: 'entry#2' } }),
    );
    expect(entry.Item).toBeUndefined();
    await cloud.idle();
    expect(records).toEqual([]);
  });

  it('evaluates ConditionCheck items without writing them', async () => {
    await createTable('ledger-check');
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [{ Put: { TableName: 'ledger-check', Item: { pk: 'rules', sk: 'version', n: 7 } } }],
      }),
    );
    const write = (expected: number) =>
      documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: 'ledger-check',
                Key: { pk: 'rules', sk: 'version' },
                ConditionExpression: '#n = :n',
                ExpressionAttributeNames: { '#n': 'n' },
                ExpressionAttributeValues: { ':n': expected },
              },
            },
            {
              Put: { TableName: 'ledger-check', Item: { pk: 'vpce-3', sk: 'state', rulesVersion: expected } },
            },
          ],
        }),
      );
    expect((await awsError(write(6))).name).toBe('TransactionCanceledException');
    await write(7);
    const written = await documents.send(
      new GetCommand({ TableName: 'ledger-check', Key: { pk: 'vpce-3', sk: 'state' } }),
    );
    expect(written.Item?.rulesVersion).toBe(7);
  });

  it('rejects two operations on one item and rolls back after a failing write', async () => {
    await createTable('ledger-invalid');
    const duplicate = await awsError(
      documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: 'ledger-invalid', Item: { pk: 'a', sk: 'b' } } },
            { Delete: { TableName: 'ledger-invalid', Key: { pk: 'a', sk: 'b' } } },
          ],
        }),
      ),
    );
    expect(duplicate.name).toBe('ValidationException');
    expect(duplicate.message).toContain('multiple operations on one item');
    const broken = await awsError(
      documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: 'ledger-invalid', Item: { pk: 'first', sk: 'x' } } },
            {
              Update: {
                TableName: 'ledger-invalid',
                Key: { pk: 'second', sk: 'x' },
                UpdateExpression: 'SET #a = :undefined',
                ExpressionAttributeNames: { '#a': 'a' },
              },
            },
          ],
        }),
      ),
    );
    expect(broken.name).toBe('ValidationException');
    const first = await documents.send(
      new GetCommand({ TableName: 'ledger-invalid', Key: { pk: 'first', sk: 'x' } }),
    );
    expect(first.Item).toBeUndefined();
  });

  it('reads items with TransactGetItems', async () => {
    await createTable('ledger-get');
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [{ Put: { TableName: 'ledger-get', Item: { pk: 'p', sk: 's', v: 'x' } } }],
      }),
    );
    const result = await documents.send(
      new TransactGetCommand({
        TransactItems: [
          { Get: { TableName: 'ledger-get', Key: { pk: 'p', sk: 's' } } },
          { Get: { TableName: 'ledger-get', Key: { pk: 'p', sk: 'missing' } } },
        ],
      }),
    );
    expect(result.Responses).toEqual([{ Item: { pk: 'p', sk: 's', v: 'x' } }, {}]);
  });
});

describe('time to live', () => {
  it('records and describes the TTL attribute', async () => {
    await createTable('ledger-ttl');
    const before = await dynamo.send(new DescribeTimeToLiveCommand({ TableName: 'ledger-ttl' }));
    expect(before.TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
    await dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: 'ledger-ttl',
        TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
      }),
    );
    const after = await dynamo.send(new DescribeTimeToLiveCommand({ TableName: 'ledger-ttl' }));
    expect(after.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    const missing = await awsError(
      dynamo.send(new DescribeTimeToLiveCommand({ TableName: 'no-such-table' })),
    );
    expect(missing.name).toBe('ResourceNotFoundException');
  });
});

describe('persistence', () => {
  it('keeps tables and items in --data across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plgate-local-data-'));
    try {
      const first = await startTestCloud({ dataDir });
      const client = dynamoFor(first);
      await client.send(
        new CreateTableCommand({
          TableName: 'kept',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      );
      await client.send(
        new PutItemCommand({ TableName: 'kept', Item: { id: { S: 'x' }, v: { S: 'persisted' } } }),
      );
      await first.stop();
      const second = await startTestCloud({ dataDir });
      try {
        const item = await dynamoFor(second).send(
          new GetItemCommand({ TableName: 'kept', Key: { id: { S: 'x' } } }),
        );
        expect(item.Item?.v?.S).toBe('persisted');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
