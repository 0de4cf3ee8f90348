import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoEndpointStates } from '../../../functions/aws/endpoint-states.ts';
import { DynamoLedger } from '../../../functions/aws/ledger.ts';
import { LedgerError } from '../../../functions/aws/ledger-item-codec.ts';
import { LeaseLostError, type LedgerEntry } from '../../../functions/gate/ports.ts';

const TABLE = 'plgate-ledger';
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
);
const docMock = mockClient(doc);
const ledger = () => new DynamoLedger(doc, TABLE, { retentionDays: 30 });
const endpointStates = () =>
  new DynamoEndpointStates(doc, TABLE, { ledger: ledger(), retry: { sleep: async () => {}, maxRetries: 2 } });
const conditionFailed = () =>
  Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
const endpoint = (n: number): string => `vpce-${n.toString(16).padStart(17, '0')}`;

const entry = (overrides: Partial<LedgerEntry> = {}): LedgerEntry => ({
  at: '2026-03-01T10:00:00.000Z',
  endpointId: endpoint(1),
  serviceId: 'vpce-svc-0123456789abcdef0',
  account: '111122223333',
  trigger: 'notification',
  decision: 'accept',
  rule: 'acme-prod',
  matched: ['acme-prod'],
  reasons: ['account 111122223333 is in acme-prod'],
  action: 'accept',
  outcome: 'accepted',
  dryRun: false,
  rulesVersion: 3,
  state: 'pendingAcceptance',
  ...overrides,
});

beforeEach(() => {
  docMock.reset();
});

describe('append', () => {
  it('writes the entry under entry#<at>#<random> with a TTL, never overwriting', async () => {
    docMock.on(PutCommand).resolves({});
    await ledger().append(entry({ at: '2026-03-01T11:00:00+01:00', error: undefined }));
    const input = docMock.commandCalls(PutCommand)[0]?.args[0].input;
    const item = input?.Item ?? {};
    expect(item.sk).toMatch(/^entry#2026-03-01T10:00:00\.000Z#[0-9a-f]{12}$/);
    expect(item.at).toBe('2026-03-01T10:00:00.000Z');
    expect(item.expiresAt).toBe(Date.parse('2026-03-01T10:00:00Z') / 1000 + 30 * 86_400);
    expect(item).toMatchObject({
      endpointId: endpoint(1),
      serviceId: 'vpce-svc-0123456789abcdef0',
      outcome: 'accepted',
    });
    expect('error' in item).toBe(false);
    expect(input?.ConditionExpression).toBe('attribute_not_exists(#sk)');
  });

  it('refuses an entry whose time or endpoint is not valid, naming the field', async () => {
    await expect(ledger().append(entry({ at: 'yesterday' }))).rejects.toThrow(
      /at: not an ISO-8601 time: "yesterday"/,
    );
    await expect(ledger().append(entry({ endpointId: 'rules' }))).rejects.toThrow(
      /endpointId: not a valid id/,
    );
    expect(docMock.calls()).toHaveLength(0);
  });

  it('records rule problems in the rules partition, outside the service and account indexes', async () => {
    docMock.on(PutCommand).resolves({});
    await ledger().appendRuleProblem({
      at: '2026-03-01T10:00:00Z',
      item: { kind: 'rule', id: 'bad' },
      problems: [{ path: 'effect', message: 'must be accept, reject or review' }],
    });
    const item = docMock.commandCalls(PutCommand)[0]?.args[0].input.Item ?? {};
    expect(item.endpointId).toBe('rules');
    expect(item.sk).toMatch(/^entry#2026-03-01T10:00:00\.000Z#/);
    expect(item).not.toHaveProperty('serviceId');
    expect(item).not.toHaveProperty('account');
    expect(item.item).toEqual({ kind: 'rule', id: 'bad' });
  });
});

describe('history', () => {
  const stored = (e: LedgerEntry) => ({ ...e, sk: `entry#${e.at}#abc`, expiresAt: 1 });

  it('queries one endpoint newest first, entries only', async () => {
    docMock.on(QueryCommand).resolves({ Items: [stored(entry())] });
    expect(await ledger().history({ endpointId: endpoint(1) })).toEqual([entry()]);
    expect(docMock.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: TABLE,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeValues: { ':pk': endpoint(1), ':prefix': 'entry#' },
      ScanIndexForward: false,
      Limit: 100,
    });
  });

  it('turns since into a key condition that cannot reach the state item', async () => {
    docMock.on(QueryCommand).resolves({ Items: [] });
    await ledger().history({ endpointId: endpoint(1), since: new Date('2026-02-01T00:00:00Z') });
    const input = docMock.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(input?.KeyConditionExpression).toBe('#pk = :pk AND #sk BETWEEN :from AND :to');
    const to = String(input?.ExpressionAttributeValues?.[':to']);
    expect(input?.ExpressionAttributeValues?.[':from']).toBe('entry#2026-02-01T00:00:00.000Z');
    expect('entry#2099-01-01T00:00:00.000Z#ff' < to).toBe(true);
    expect('state' > to).toBe(true);
  });

  it('uses the byService and byAccount indexes with since on `at`', async () => {
    docMock.on(QueryCommand).resolves({ Items: [] });
    await ledger().history({
      serviceId: 'vpce-svc-0123456789abcdef0',
      since: new Date('2026-02-01T00:00:00Z'),
    });
    await ledger().history({ account: '111122223333' });
    const [byService, byAccount] = docMock.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(byService).toMatchObject({
      IndexName: 'byService',
      KeyConditionExpression: '#pk = :pk AND #sk >= :since',
      ExpressionAttributeNames: { '#pk': 'serviceId', '#sk': 'at' },
      ExpressionAttributeValues: {
        ':pk': 'vpce-svc-0123456789abcdef0',
        ':since': '2026-02-01T00:00:00.000Z',
      },
      ScanIndexForward: false,
    });
    expect(byAccount).toMatchObject({
      IndexName: 'byAccount',
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeValues: { ':pk': '111122223333' },
    });
  });

  it('pages until the limit is reached, asking only for what is still missing', async () => {
    const e = (n: number) => stored(entry({ at: `2026-03-0${n}T00:00:00.000Z` }));
    docMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [e(9), e(8)], LastEvaluatedKey: { k: 1 } })
      .resolvesOnce({ Items: [e(7)], LastEvaluatedKey: { k: 2 } })
      .resolvesOnce({ Items: [e(6), e(5)], LastEvaluatedKey: { k: 3 } });
    const result = await ledger().history({ account: '111122223333', limit: 4 });
    expect(result.map((r) => r.at.slice(0, 10))).toEqual([
      '2026-03-09',
      '2026-03-08',
      '2026-03-07',
      '2026-03-06',
    ]);
    expect(docMock.commandCalls(QueryCommand).map((c) => c.args[0].input.Limit)).toEqual([4, 2, 1]);
    expect(docMock.commandCalls(QueryCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({ k: 1 });
  });

  it('rejects bad queries and items it did not write, naming the field', async () => {
    await expect(ledger().history({ account: 'acme' })).rejects.toThrow(/account: not a valid id: "acme"/);
    await expect(ledger().history({ endpointId: endpoint(1), limit: 0 })).rejects.toThrow(/limit/);
    docMock.on(QueryCommand).resolves({ Items: [{ ...stored(entry()), outcome: 'exploded' }] });
    await expect(ledger().history({ endpointId: endpoint(1) })).rejects.toThrow(/outcome must be one of/);
  });
});

describe('endpoint state', () => {
  it('reads many states in batches of 100 and retries UnprocessedKeys', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => endpoint(i + 1));
    docMock
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: {
          [TABLE]: [
            {
              endpointId: endpoint(1),
              sk: 'state',
              flags: { held: '2026-03-01T00:00:00.000Z' },
              leaseHolder: 'req-1',
              leaseUntil: '2026-03-01T00:02:00.000Z',
              leaseToken: 5,
              lastOutcome: 'held',
              intent: { id: 'i5', token: 5, done: false, entry: entry() },
            },
          ],
        },
        UnprocessedKeys: { [TABLE]: { Keys: [{ endpointId: endpoint(2), sk: 'state' }] } },
      })
      .resolvesOnce({ Responses: { [TABLE]: [{ endpointId: endpoint(2), sk: 'state' }] } })
      .resolvesOnce({ Responses: { [TABLE]: [] } });
    const states = await endpointStates().states([...ids, endpoint(1)]);
    const calls = docMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.[TABLE]);
    expect(calls.map((c) => c?.Keys?.length)).toEqual([100, 1, 50]);
    expect(calls[0]?.ConsistentRead).toBe(true);
    expect(calls[1]?.Keys).toEqual([{ endpointId: endpoint(2), sk: 'state' }]);
    expect(states.get(endpoint(1))).toEqual({
      endpointId: endpoint(1),
      flags: { held: '2026-03-01T00:00:00.000Z' },
      lease: { holder: 'req-1', until: '2026-03-01T00:02:00.000Z', token: 5 },
      lastOutcome: 'held',
      intent: { id: 'i5', token: 5, done: false, entry: entry() },
    });
    expect(states.get(endpoint(2))).toEqual({ endpointId: endpoint(2), flags: {} });
    expect(states.has(endpoint(3))).toBe(false);
  });

  it('throws when keys stay unprocessed past the bound', async () => {
    docMock
      .on(BatchGetCommand)
      .resolves({ UnprocessedKeys: { [TABLE]: { Keys: [{ endpointId: endpoint(1), sk: 'state' }] } } });
    await expect(endpointStates().states([endpoint(1)])).rejects.toThrow(LedgerError);
    expect(docMock.commandCalls(BatchGetCommand)).toHaveLength(3);
  });

  it('takes a lease conditionally with a new fencing token, and answers undefined when another holder has it', async () => {
    docMock
      .on(UpdateCommand)
      .resolvesOnce({
        Attributes: {
          endpointId: endpoint(1),
          sk: 'state',
          leaseHolder: 'req-1',
          leaseUntil: '2026-03-01T00:01:00.000Z',
          leaseToken: 7,
          flags: { held: '2026-02-01T00:00:00.000Z' },
        },
      })
      .rejectsOnce(conditionFailed());
    const now = new Date('2026-03-01T00:00:00Z');
    // The endpoint's state comes back with the grant (ALL_NEW): no second read under the lease.
    expect(await endpointStates().acquireLease(endpoint(1), 'req-1', now, 60_000)).toEqual({
      key: endpoint(1),
      holder: 'req-1',
      token: 7,
      until: '2026-03-01T00:01:00.000Z',
      state: {
        endpointId: endpoint(1),
        flags: { held: '2026-02-01T00:00:00.000Z' },
        lease: { holder: 'req-1', until: '2026-03-01T00:01:00.000Z', token: 7 },
      },
    });
    expect(await endpointStates().acquireLease(endpoint(1), 'req-2', now, 60_000)).toBeUndefined();
    expect(docMock.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { endpointId: endpoint(1), sk: 'state' },
      UpdateExpression:
        'SET #holder = :holder, #until = :until, #flags = if_not_exists(#flags, :noFlags) ADD #token :one',
      ConditionExpression: 'attribute_not_exists(#until) OR #until < :now OR #holder = :holder',
      ExpressionAttributeValues: {
        ':holder': 'req-1',
        ':until': '2026-03-01T00:01:00.000Z',
        ':now': '2026-03-01T00:00:00.000Z',
        ':one': 1,
      },
      ReturnValues: 'ALL_NEW',
    });
  });

  it("takes a lease on a service's consumer account (limits), and refuses a malformed key", async () => {
    docMock.on(UpdateCommand).resolves({ Attributes: { leaseToken: 1 } });
    const now = new Date('2026-03-01T00:00:00Z');
    expect(
      await endpointStates().acquireLease('vpce-svc-0123456789abcdef0#111122223333', 'req-1', now, 1000),
    ).toMatchObject({
      token: 1,
    });
    await expect(endpointStates().acquireLease('vpce-svc-01#1', 'req-1', now, 1000)).rejects.toThrow(
      LedgerError,
    );
  });

  it('fences the writes after the EC2 call by the lease token: a lost lease is an error, never a silent write', async () => {
    docMock.on(UpdateCommand).rejects(conditionFailed());
    const lease = { key: endpoint(1), holder: 'req-1', token: 3, until: '2026-03-01T00:01:00.000Z' };
    // A failed transaction falls back to its steps; the first, making the entry final, is fenced.
    docMock
      .on(TransactWriteCommand)
      .rejects(Object.assign(new Error('cancelled'), { name: 'TransactionCanceledException' }));
    const intent = { id: 'i3', token: 3, entry: entry(), done: false };
    await expect(
      endpointStates().recordIntent(lease, intent, 'notice:accepted', new Date('2026-03-01T00:00:30Z'), 1000),
    ).rejects.toThrow(LeaseLostError);
    await expect(endpointStates().clearIntent(lease, 'i3')).rejects.toThrow(LeaseLostError);
    const inputs = docMock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toMatchObject({
      ConditionExpression: '#token = :token AND #intent.#id = :id',
      ExpressionAttributeValues: { ':token': 3, ':id': 'i3' },
    });
    expect(inputs[1]).toMatchObject({
      UpdateExpression: 'REMOVE #intent',
      ConditionExpression: '#token = :token AND (attribute_not_exists(#intent) OR #intent.#id = :id)',
    });
  });

  it('writes an intent only under a current lease, renewing it, with its once-flag in the same write', async () => {
    docMock.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    const lease = { key: endpoint(1), holder: 'req-1', token: 3, until: '2026-03-01T00:01:00.000Z' };
    const now = new Date('2026-03-01T00:00:30Z');
    const intent = { id: 'i3', token: 3, entry: entry(), done: true, onceFlag: 'held' };
    expect(await endpointStates().writeIntent(lease, intent, now, 60_000)).toBe(true);
    expect(await endpointStates().writeIntent(lease, intent, now, 60_000)).toBe(false);
    expect(docMock.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      UpdateExpression: 'SET #intent = :intent, #until = :until, #flags.#once = :now',
      ConditionExpression:
        '#token = :token AND #until > :now AND attribute_not_exists(#intent) AND attribute_not_exists(#flags.#once)',
      ExpressionAttributeNames: { '#once': 'held' },
      ExpressionAttributeValues: { ':token': 3, ':until': '2026-03-01T00:01:30.000Z' },
    });
  });

  it('lease errors other than a failed condition propagate', async () => {
    docMock
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('busy'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(endpointStates().acquireLease(endpoint(1), 'req-1', new Date(), 1000)).rejects.toThrow(
      'busy',
    );
  });

  it('releases only its own lease (by token), and records the outcome even when the lease was lost', async () => {
    docMock.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed()).resolvesOnce({});
    const lease = { key: endpoint(1), holder: 'req-1', token: 4, until: '2026-03-01T00:01:00.000Z' };
    await endpointStates().releaseLease(lease, 'accepted');
    await endpointStates().releaseLease(lease, 'rejected');
    const inputs = docMock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toMatchObject({
      UpdateExpression: 'REMOVE #holder, #until SET #outcome = :outcome',
      ConditionExpression: '#token = :token',
      ExpressionAttributeValues: { ':token': 4, ':outcome': 'accepted' },
    });
    expect(inputs[2]).toMatchObject({
      UpdateExpression: 'SET #outcome = :outcome',
      ExpressionAttributeValues: { ':outcome': 'rejected' },
    });
    expect(inputs[2]?.ConditionExpression).toBeUndefined();
  });

  it('setFlagOnce creates the flags map first, then sets inside it; only the first caller wins', async () => {
    docMock
      .on(UpdateCommand)
      // First call: no map yet, created with the flag.
      .resolvesOnce({})
      // Second: map exists (condition fails), nested set succeeds.
      .rejectsOnce(conditionFailed())
      .resolvesOnce({})
      // Third: map exists, flag exists.
      .rejectsOnce(conditionFailed())
      .rejectsOnce(conditionFailed());
    const now = new Date('2026-03-01T00:00:00Z');
    expect(await endpointStates().setFlagOnce(endpoint(1), 'held', now)).toBe(true);
    expect(await endpointStates().setFlagOnce(endpoint(1), 'dry-run:accepted', now)).toBe(true);
    expect(await endpointStates().setFlagOnce(endpoint(1), 'held', now)).toBe(false);
    const inputs = docMock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toMatchObject({
      UpdateExpression: 'SET #flags = :flags',
      ConditionExpression: 'attribute_not_exists(#flags)',
      ExpressionAttributeValues: { ':flags': { held: '2026-03-01T00:00:00.000Z' } },
    });
    expect(inputs[2]).toMatchObject({
      UpdateExpression: 'SET #flags.#flag = :at',
      ConditionExpression: 'attribute_not_exists(#flags.#flag)',
      ExpressionAttributeNames: { '#flags': 'flags', '#flag': 'dry-run:accepted' },
    });
  });

  it('clearFlag removes a flag and is a no-op when it is absent', async () => {
    docMock.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    await endpointStates().clearFlag(endpoint(1), 'drift');
    await endpointStates().clearFlag(endpoint(1), 'drift');
    expect(docMock.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      UpdateExpression: 'REMOVE #flags.#flag',
      ConditionExpression: 'attribute_exists(#flags.#flag)',
    });
    await expect(endpointStates().clearFlag(endpoint(1), 'bad flag')).rejects.toThrow(/flag: must match/);
  });

  it('refuses a retention that is not a whole number of days', () => {
    expect(() => new DynamoLedger(doc, TABLE, { retentionDays: 0 })).toThrow(/retentionDays/);
  });
});
