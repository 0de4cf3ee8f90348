/**
 * The ledger table in DynamoDB. Per endpoint (partition `endpointId`):
 *  - history entries, sort key `entry#<ISO time>#<random>`, with `expiresAt` for TTL;
 *  - one `state` item: once-flags (`flags` map), the action lease (`leaseHolder`,
 *    `leaseUntil`, fencing `leaseToken`), the unfinished `intent` (write ahead) and
 *    `lastOutcome`. Every write to it is conditional, which is what makes the gate's
 *    actions idempotent; the writes after an EC2 call are fenced by the lease token.
 * Entries carry `at`, so the byService / byAccount indexes hold only entries.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { EFFECTS } from '../core/decision-record.ts';
import type {
  EndpointState,
  HistoryQuery,
  Intent,
  IntentFinish,
  Lease,
  Ledger,
  LedgerEntry,
  Outcome,
  RuleProblemEntry,
} from '../gate/ports.ts';
import { LeaseLostError, OUTCOMES } from '../gate/ports.ts';
import { TRIGGERS } from '../shared/events.ts';
import {
  LEDGER_BY_ACCOUNT_INDEX,
  LEDGER_BY_SERVICE_INDEX,
  LEDGER_ENTRY_PREFIX,
  LEDGER_STATE_SK,
  LEDGER_TABLE_KEY,
  LEDGER_TTL_ATTRIBUTE,
} from '../shared/tables.ts';
import { errorCode, isConditionalCheckFailed } from './aws-errors.ts';
import { backoffDelay, chunk, type RetryPolicy, retryPolicy } from './batch-retry.ts';
import { type AdapterLogger, quietLogger } from './logger.ts';

/** Partition of the rule-problem entries (never an endpoint id). */
export const RULES_PARTITION = 'rules';
/** BatchGetItem takes at most 100 keys. */
const READ_BATCH = 100;
const DEFAULT_HISTORY_LIMIT = 100;
export const MAX_HISTORY_LIMIT = 10_000;
/** Sorts after every `entry#…` key (ISO times are ASCII) and before `state`. */
const ENTRY_UPPER_BOUND = `${LEDGER_ENTRY_PREFIX}\uffff`;

const ENDPOINT_ID = /^vpce-[0-9a-zA-Z]+$/;
const SERVICE_ID = /^vpce-svc-[0-9a-zA-Z]+$/;
/** Leases are taken on endpoints (actions), services (enrollment) and a service's consumer accounts (limits). */
const LEASE_KEY = /^(vpce-[0-9a-zA-Z]+|vpce-svc-[0-9a-zA-Z]+(#\d{12})?)$/;
const ACCOUNT_ID = /^\d{12}$/;
const FLAG = /^[A-Za-z0-9:._-]{1,64}$/;

export class LedgerError extends Error {
  override name = 'LedgerError';
}

export interface DynamoLedgerOptions {
  /** Days an entry is kept before DynamoDB's TTL removes it. */
  retentionDays: number;
  logger?: AdapterLogger;
  /** Retries of BatchGetItem's UnprocessedKeys. */
  retry?: Partial<RetryPolicy>;
}

export class DynamoLedger implements Ledger {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionSeconds: number;
  readonly #logger: AdapterLogger;
  readonly #retry: RetryPolicy;

  constructor(doc: DynamoDBDocumentClient, tableName: string, options: DynamoLedgerOptions) {
    if (tableName === '') throw new LedgerError('tableName: must not be empty');
    if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1) {
      throw new LedgerError(`retentionDays: must be a whole number >= 1, got ${options.retentionDays}`);
    }
    this.#doc = doc;
    this.#table = tableName;
    this.#retentionSeconds = options.retentionDays * 86_400;
    this.#logger = options.logger ?? quietLogger;
    this.#retry = retryPolicy({ maxRetries: 8, ...options.retry });
  }

  async append(entry: LedgerEntry): Promise<void> {
    const { partition, at, fields, digest } = entryOf(entry);
    try {
      await this.#putEntry(partition, at, fields, digest);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  async appendRuleProblem(entry: RuleProblemEntry): Promise<void> {
    const at = isoTime('at', entry.at);
    await this.#putEntry(RULES_PARTITION, at, { at, item: entry.item, problems: entry.problems });
  }

  async history(query: HistoryQuery): Promise<LedgerEntry[]> {
    const limit = query.limit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) {
      throw new LedgerError(`limit: must be a whole number from 1 to ${MAX_HISTORY_LIMIT}, got ${limit}`);
    }
    if (query.since !== undefined && Number.isNaN(query.since.getTime())) {
      throw new LedgerError('since: not a valid date');
    }
    const since = query.since?.toISOString();
    const input = this.#historyQuery(query, since);
    const entries: LedgerEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#doc.send(
        new QueryCommand({
          ...input,
          ScanIndexForward: false,
          Limit: limit - entries.length,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of out.Items ?? []) entries.push(toLedgerEntry(item));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined && entries.length < limit);
    return entries.slice(0, limit);
  }

  async states(endpointIds: string[]): Promise<Map<string, EndpointState>> {
    for (const id of endpointIds) checkId('endpointIds', id, ENDPOINT_ID);
    const states = new Map<string, EndpointState>();
    for (const ids of chunk([...new Set(endpointIds)], READ_BATCH)) {
      let keys: Record<string, unknown>[] = ids.map((id) => stateKey(id));
      for (let attempt = 0; keys.length > 0; attempt++) {
        const out = await this.#doc.send(
          new BatchGetCommand({ RequestItems: { [this.#table]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of out.Responses?.[this.#table] ?? []) {
          const state = toEndpointState(item);
          states.set(state.endpointId, state);
        }
        keys = out.UnprocessedKeys?.[this.#table]?.Keys ?? [];
        if (keys.length === 0) break;
        if (attempt >= this.#retry.maxRetries) {
          throw new LedgerError(
            `${keys.length} endpoint states still unprocessed after ${attempt + 1} reads`,
          );
        }
        this.#logger.info('retrying unprocessed endpoint state reads', {
          count: keys.length,
          attempt: attempt + 1,
        });
        await this.#retry.sleep(backoffDelay(this.#retry, attempt));
      }
    }
    return states;
  }

  async acquireLease(key: string, holder: string, now: Date, leaseMs: number): Promise<Lease | undefined> {
    checkId('key', key, LEASE_KEY);
    checkHolder(holder);
    checkLeaseMs(leaseMs);
    const nowIso = isoTime('now', now.toISOString());
    const until = new Date(now.getTime() + leaseMs).toISOString();
    try {
      const out = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: stateKey(key),
          // The token is never removed, so it only grows; the flags map is made here so that
          // later writes can set one flag inside it in the same update as something else.
          UpdateExpression:
            'SET #holder = :holder, #until = :until, #flags = if_not_exists(#flags, :noFlags) ADD #token :one',
          ConditionExpression: 'attribute_not_exists(#until) OR #until < :now OR #holder = :holder',
          ExpressionAttributeNames: {
            '#holder': 'leaseHolder',
            '#until': 'leaseUntil',
            '#token': 'leaseToken',
            '#flags': 'flags',
          },
          ExpressionAttributeValues: {
            ':holder': holder,
            ':until': until,
            ':now': nowIso,
            ':one': 1,
            ':noFlags': {},
          },
          // The whole item: an endpoint's state comes back with its lease, no second read.
          ReturnValues: 'ALL_NEW',
        }),
      );
      const token = out.Attributes?.leaseToken;
      if (typeof token !== 'number') throw new LedgerError(`lease on ${key}: no token came back`);
      const lease: Lease = { key, holder, token, until };
      if (ENDPOINT_ID.test(key) && out.Attributes) lease.state = toEndpointState(out.Attributes);
      return lease;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  async renewLease(lease: Lease, now: Date, leaseMs: number): Promise<boolean> {
    checkId('key', lease.key, LEASE_KEY);
    checkLeaseMs(leaseMs);
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: stateKey(lease.key),
          UpdateExpression: 'SET #until = :until',
          ConditionExpression: '#token = :token AND #until > :now',
          ExpressionAttributeNames: { '#until': 'leaseUntil', '#token': 'leaseToken' },
          ExpressionAttributeValues: {
            ':token': lease.token,
            ':now': isoTime('now', now.toISOString()),
            ':until': new Date(now.getTime() + leaseMs).toISOString(),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async releaseLease(lease: Lease, lastOutcome?: Outcome): Promise<void> {
    checkId('key', lease.key, LEASE_KEY);
    if (lastOutcome !== undefined && !OUTCOMES.includes(lastOutcome)) {
      throw new LedgerError(
        `lastOutcome: must be one of ${OUTCOMES.join(', ')}, got ${JSON.stringify(lastOutcome)}`,
      );
    }
    const outcome = lastOutcome === undefined ? {} : { ':outcome': lastOutcome };
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: stateKey(lease.key),
          UpdateExpression: `REMOVE #holder, #until${lastOutcome === undefined ? '' : ' SET #outcome = :outcome'}`,
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: {
            '#holder': 'leaseHolder',
            '#until': 'leaseUntil',
            '#token': 'leaseToken',
            ...(lastOutcome === undefined ? {} : { '#outcome': 'lastOutcome' }),
          },
          ExpressionAttributeValues: { ':token': lease.token, ...outcome },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // The lease ran out and someone else may hold it now: leave it, but the outcome is still a fact.
      this.#logger.warn('lease no longer held at release', { key: lease.key, token: lease.token });
      if (lastOutcome !== undefined) {
        await this.#doc.send(
          new UpdateCommand({
            TableName: this.#table,
            Key: stateKey(lease.key),
            UpdateExpression: 'SET #outcome = :outcome',
            ExpressionAttributeNames: { '#outcome': 'lastOutcome' },
            ExpressionAttributeValues: outcome,
          }),
        );
      }
    }
  }

  async writeIntent(lease: Lease, intent: Intent, now: Date, leaseMs: number): Promise<boolean> {
    checkId('endpointId', lease.key, ENDPOINT_ID);
    checkLeaseMs(leaseMs);
    if (intent.onceFlag !== undefined) checkFlag(intent.onceFlag);
    const nowIso = isoTime('now', now.toISOString());
    const once = intent.onceFlag !== undefined;
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: stateKey(lease.key),
          UpdateExpression: `SET #intent = :intent, #until = :until${once ? ', #flags.#once = :now' : ''}`,
          ConditionExpression: `#token = :token AND #until > :now AND attribute_not_exists(#intent)${
            once ? ' AND attribute_not_exists(#flags.#once)' : ''
          }`,
          ExpressionAttributeNames: {
            '#intent': 'intent',
            '#until': 'leaseUntil',
            '#token': 'leaseToken',
            ...(once ? { '#flags': 'flags', '#once': intent.onceFlag } : {}),
          },
          ExpressionAttributeValues: {
            ':intent': intentItem(intent),
            ':until': new Date(now.getTime() + leaseMs).toISOString(),
            ':token': lease.token,
            ':now': nowIso,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async completeIntent(lease: Lease, intentId: string, entry: LedgerEntry): Promise<void> {
    checkId('endpointId', lease.key, ENDPOINT_ID);
    await this.#fenced(lease, intentId, 'complete the intent', {
      UpdateExpression: 'SET #intent.#entry = :entry, #intent.#done = :done',
      ConditionExpression: '#token = :token AND #intent.#id = :id',
      ExpressionAttributeNames: {
        '#intent': 'intent',
        '#entry': 'entry',
        '#done': 'done',
        '#id': 'id',
        '#token': 'leaseToken',
      },
      ExpressionAttributeValues: {
        ':entry': definedFields(entry),
        ':done': true,
        ':id': intentId,
        ':token': lease.token,
      },
    });
  }

  async claimNotice(
    lease: Lease,
    intentId: string,
    noticeFlag: string,
    now: Date,
    leaseMs: number,
  ): Promise<boolean> {
    checkId('endpointId', lease.key, ENDPOINT_ID);
    checkFlag(noticeFlag);
    checkLeaseMs(leaseMs);
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: stateKey(lease.key),
          ...noticeClaim(lease, intentId, noticeFlag, now, leaseMs),
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    // Which condition failed decides: a notice already sent is an answer, a lost lease is not.
    const state = (await this.states([lease.key])).get(lease.key);
    if (state?.flags[noticeFlag] !== undefined) return false;
    throw new LeaseLostError(`${lease.key}: lease ${lease.token} lost before the notice could be claimed`);
  }

  async markNoticeSent(endpointId: string, noticeFlag: string, now: Date): Promise<void> {
    checkId('endpointId', endpointId, ENDPOINT_ID);
    checkFlag(noticeFlag);
    await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: stateKey(endpointId),
        UpdateExpression: 'SET #flags.#notice = :at',
        ExpressionAttributeNames: { '#flags': 'flags', '#notice': noticeFlag },
        ExpressionAttributeValues: { ':at': isoTime('now', now.toISOString()) },
      }),
    );
  }

  async clearIntent(lease: Lease, intentId: string): Promise<void> {
    checkId('endpointId', lease.key, ENDPOINT_ID);
    await this.#fenced(lease, intentId, 'clear the intent', {
      UpdateExpression: 'REMOVE #intent',
      ConditionExpression: '#token = :token AND (attribute_not_exists(#intent) OR #intent.#id = :id)',
      ExpressionAttributeNames: { '#intent': 'intent', '#id': 'id', '#token': 'leaseToken' },
      ExpressionAttributeValues: { ':id': intentId, ':token': lease.token },
    });
  }

  async recordIntent(
    lease: Lease,
    intent: Intent,
    noticeFlag: string,
    now: Date,
    leaseMs: number,
  ): Promise<boolean> {
    checkId('endpointId', lease.key, ENDPOINT_ID);
    checkFlag(noticeFlag);
    checkLeaseMs(leaseMs);
    const { partition, at, fields, digest } = entryOf(intent.entry);
    try {
      await this.#doc.send(
        new TransactWriteCommand({
          TransactItems: [
            // The sort key is the entry's digest and the item is the entry's alone: writing it
            // again (an intent finished after a crash) writes the same item, so no condition.
            { Put: { TableName: this.#table, Item: this.#entryItem(partition, at, fields, digest) } },
            {
              Update: {
                TableName: this.#table,
                Key: stateKey(lease.key),
                ...noticeClaim(lease, intent.id, noticeFlag, now, leaseMs, {
                  set: '#intent.#entry = :entry, #intent.#done = :done',
                  names: { '#entry': 'entry', '#done': 'done' },
                  values: { ':entry': definedFields(intent.entry), ':done': true },
                }),
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (errorCode(error) !== 'TransactionCanceledException') throw error;
    }
    // A condition failed (lease lost, or the notice already sent): step by step, each step
    // says which, and the entry is recorded whenever the lease is still ours.
    await this.completeIntent(lease, intent.id, intent.entry);
    await this.append(intent.entry);
    return this.claimNotice(lease, intent.id, noticeFlag, now, leaseMs);
  }

  async finishIntent(lease: Lease, intentId: string, finish: IntentFinish): Promise<void> {
    checkId('endpointId', lease.key, ENDPOINT_ID);
    const { noticeSent, release } = finish;
    if (noticeSent !== undefined) checkFlag(noticeSent);
    if (release !== undefined && !OUTCOMES.includes(release.outcome)) {
      throw new LedgerError(
        `release.outcome: must be one of ${OUTCOMES.join(', ')}, got ${JSON.stringify(release.outcome)}`,
      );
    }
    const sets = [
      ...(noticeSent === undefined ? [] : ['#flags.#notice = :at']),
      ...(release === undefined ? [] : ['#outcome = :outcome']),
    ];
    const removes = ['#intent', ...(release === undefined ? [] : ['#holder', '#until'])];
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: stateKey(lease.key),
          UpdateExpression: `${sets.length > 0 ? `SET ${sets.join(', ')} ` : ''}REMOVE ${removes.join(', ')}`,
          ConditionExpression: '#token = :token AND (attribute_not_exists(#intent) OR #intent.#id = :id)',
          ExpressionAttributeNames: {
            '#intent': 'intent',
            '#id': 'id',
            '#token': 'leaseToken',
            ...(noticeSent === undefined ? {} : { '#flags': 'flags', '#notice': noticeSent }),
            ...(release === undefined
              ? {}
              : { '#outcome': 'lastOutcome', '#holder': 'leaseHolder', '#until': 'leaseUntil' }),
          },
          ExpressionAttributeValues: {
            ':token': lease.token,
            ':id': intentId,
            ...(noticeSent === undefined ? {} : { ':at': isoTime('now', finish.now.toISOString()) }),
            ...(release === undefined ? {} : { ':outcome': release.outcome }),
          },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // The notice went out whoever holds the lease now: that stays a fact.
      if (noticeSent !== undefined) await this.markNoticeSent(lease.key, noticeSent, finish.now);
      throw new LeaseLostError(
        `${lease.key}: lease ${lease.token} lost, could not finish the intent ${intentId}`,
        {
          cause: error,
        },
      );
    }
  }

  /** An update of the state item that holds only under the lease's token; LeaseLostError otherwise. */
  async #fenced(
    lease: Lease,
    intentId: string,
    what: string,
    update: Pick<
      UpdateCommandInput,
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<void> {
    try {
      await this.#doc.send(
        new UpdateCommand({ TableName: this.#table, Key: stateKey(lease.key), ...update }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      throw new LeaseLostError(`${lease.key}: lease ${lease.token} lost, could not ${what} ${intentId}`, {
        cause: error,
      });
    }
  }

  async setFlagOnce(endpointId: string, flag: string, now: Date): Promise<boolean> {
    checkId('endpointId', endpointId, ENDPOINT_ID);
    checkFlag(flag);
    const setAt = isoTime('now', now.toISOString());
    // A nested SET fails when the map is absent, so the first flag creates the map and
    // later ones are set inside it; each step is conditional, so exactly one caller wins.
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: stateKey(endpointId),
          UpdateExpression: 'SET #flags = :flags',
          ConditionExpression: 'attribute_not_exists(#flags)',
          ExpressionAttributeNames: { '#flags': 'flags' },
          ExpressionAttributeValues: { ':flags': { [flag]: setAt } },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: stateKey(endpointId),
          UpdateExpression: 'SET #flags.#flag = :at',
          ConditionExpression: 'attribute_not_exists(#flags.#flag)',
          ExpressionAttributeNames: { '#flags': 'flags', '#flag': flag },
          ExpressionAttributeValues: { ':at': setAt },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async clearFlag(endpointId: string, flag: string): Promise<void> {
    checkId('endpointId', endpointId, ENDPOINT_ID);
    checkFlag(flag);
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: stateKey(endpointId),
          UpdateExpression: 'REMOVE #flags.#flag',
          // Without it a REMOVE below a missing map fails, and an absent item would be created.
          ConditionExpression: 'attribute_exists(#flags.#flag)',
          ExpressionAttributeNames: { '#flags': 'flags', '#flag': flag },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  async #putEntry(
    partition: string,
    at: string,
    fields: Record<string, unknown>,
    suffix = randomBytes(6).toString('hex'),
  ): Promise<void> {
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: this.#entryItem(partition, at, fields, suffix),
        ConditionExpression: 'attribute_not_exists(#sk)',
        ExpressionAttributeNames: { '#sk': LEDGER_TABLE_KEY.sortKey },
      }),
    );
  }

  #entryItem(partition: string, at: string, fields: Record<string, unknown>, suffix: string) {
    return {
      ...fields,
      [LEDGER_TABLE_KEY.partitionKey]: partition,
      [LEDGER_TABLE_KEY.sortKey]: `${LEDGER_ENTRY_PREFIX}${at}#${suffix}`,
      [LEDGER_TTL_ATTRIBUTE]: Math.floor(Date.parse(at) / 1000) + this.#retentionSeconds,
    };
  }

  #historyQuery(query: HistoryQuery, since: string | undefined): QueryCommandInput {
    if ('endpointId' in query) {
      checkId('endpointId', query.endpointId, ENDPOINT_ID);
      return {
        TableName: this.#table,
        KeyConditionExpression:
          since === undefined
            ? '#pk = :pk AND begins_with(#sk, :prefix)'
            : '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': LEDGER_TABLE_KEY.partitionKey, '#sk': LEDGER_TABLE_KEY.sortKey },
        ExpressionAttributeValues:
          since === undefined
            ? { ':pk': query.endpointId, ':prefix': LEDGER_ENTRY_PREFIX }
            : {
                ':pk': query.endpointId,
                ':from': `${LEDGER_ENTRY_PREFIX}${since}`,
                ':to': ENTRY_UPPER_BOUND,
              },
      };
    }
    const [index, value] =
      'serviceId' in query
        ? [LEDGER_BY_SERVICE_INDEX, checkId('serviceId', query.serviceId, SERVICE_ID)]
        : [LEDGER_BY_ACCOUNT_INDEX, checkId('account', query.account, ACCOUNT_ID)];
    return {
      TableName: this.#table,
      IndexName: index.name,
      KeyConditionExpression: since === undefined ? '#pk = :pk' : '#pk = :pk AND #sk >= :since',
      ExpressionAttributeNames: {
        '#pk': index.partitionKey,
        ...(since === undefined ? {} : { '#sk': index.sortKey }),
      },
      ExpressionAttributeValues: { ':pk': value, ...(since === undefined ? {} : { ':since': since }) },
    };
  }
}

const stateKey = (endpointId: string): Record<string, string> => ({
  [LEDGER_TABLE_KEY.partitionKey]: endpointId,
  [LEDGER_TABLE_KEY.sortKey]: LEDGER_STATE_SK,
});

function definedFields(entry: LedgerEntry): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined));
}

/** Reads an entry item back; a field of the wrong type means the table holds something we did not write. */
export function toLedgerEntry(item: Record<string, unknown>): LedgerEntry {
  const where = `ledger item ${String(item[LEDGER_TABLE_KEY.partitionKey])}/${String(item[LEDGER_TABLE_KEY.sortKey])}`;
  const field = <T>(name: string, ok: (value: unknown) => value is T, expected: string): T => {
    const value = item[name];
    if (!ok(value))
      throw new LedgerError(`${where}: ${name} must be ${expected}, got ${JSON.stringify(value)}`);
    return value;
  };
  const isString = (v: unknown): v is string => typeof v === 'string';
  const isNumber = (v: unknown): v is number => typeof v === 'number';
  const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
  const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
  const oneOf =
    <T extends string>(values: readonly T[]) =>
    (v: unknown): v is T =>
      typeof v === 'string' && (values as readonly string[]).includes(v);
  const isRule = (v: unknown): v is string | null => v === null || typeof v === 'string';
  const isAction = oneOf(['accept', 'reject', 'none'] as const);

  const entry: LedgerEntry = {
    at: field('at', isString, 'an ISO time'),
    endpointId: field('endpointId', isString, 'a string'),
    serviceId: field('serviceId', isString, 'a string'),
    account: field('account', isString, 'a string'),
    trigger: field('trigger', oneOf(TRIGGERS), `one of ${TRIGGERS.join(', ')}`),
    decision: field('decision', oneOf(EFFECTS), `one of ${EFFECTS.join(', ')}`),
    rule: item.rule === undefined ? null : field('rule', isRule, 'a string or null'),
    matched: item.matched === undefined ? [] : field('matched', isStrings, 'a list of strings'),
    reasons: item.reasons === undefined ? [] : field('reasons', isStrings, 'a list of strings'),
    action: field('action', isAction, 'accept, reject or none'),
    outcome: field('outcome', oneOf(OUTCOMES), `one of ${OUTCOMES.join(', ')}`),
    dryRun: item.dryRun === undefined ? false : field('dryRun', isBoolean, 'a boolean'),
    rulesVersion: item.rulesVersion === undefined ? 0 : field('rulesVersion', isNumber, 'a number'),
    state: field('state', isString, 'a string'),
  };
  const error = item.error;
  if (error !== undefined) {
    if (typeof error !== 'object' || error === null)
      throw new LedgerError(`${where}: error must be an object`);
    const code: unknown = Reflect.get(error, 'code');
    const message: unknown = Reflect.get(error, 'message');
    entry.error = {
      code: typeof code === 'string' ? code : 'Unknown',
      message: typeof message === 'string' ? message : '',
    };
  }
  if (item.actor !== undefined) entry.actor = field('actor', isString, 'a string');
  if (item.reason !== undefined) entry.reason = field('reason', isString, 'a string');
  if (item.decidedAt !== undefined) entry.decidedAt = field('decidedAt', isString, 'an ISO time');
  if (item.carriedBy !== undefined)
    entry.carriedBy = field('carriedBy', oneOf(TRIGGERS), `one of ${TRIGGERS.join(', ')}`);
  if (item.requestId !== undefined) entry.requestId = field('requestId', isString, 'a string');
  return entry;
}

/**
 * The update that claims an intent's notice for the lease's holder and renews the lease:
 * only while the lease is current and no notice of the flag's outcome went out. `also`
 * sets more of the intent in the same write (recordIntent's final entry).
 */
function noticeClaim(
  lease: Lease,
  intentId: string,
  noticeFlag: string,
  now: Date,
  leaseMs: number,
  also?: { set: string; names: Record<string, string>; values: Record<string, unknown> },
) {
  return {
    UpdateExpression: `SET #intent.#claim = :token, #until = :until${also ? `, ${also.set}` : ''}`,
    ConditionExpression:
      '#token = :token AND #until > :now AND #intent.#id = :id AND attribute_not_exists(#flags.#notice)',
    ExpressionAttributeNames: {
      '#intent': 'intent',
      '#claim': 'noticeClaim',
      '#id': 'id',
      '#token': 'leaseToken',
      '#until': 'leaseUntil',
      '#flags': 'flags',
      '#notice': noticeFlag,
      ...also?.names,
    },
    ExpressionAttributeValues: {
      ':token': lease.token,
      ':until': new Date(now.getTime() + leaseMs).toISOString(),
      ':now': isoTime('now', now.toISOString()),
      ':id': intentId,
      ...also?.values,
    },
  };
}

/** A decision's ledger item: partition, time, fields, and the digest its sort key ends in. */
function entryOf(entry: LedgerEntry): {
  partition: string;
  at: string;
  fields: Record<string, unknown>;
  digest: string;
} {
  // A registration happens before any endpoint exists: it is recorded on the service.
  checkId('endpointId', entry.endpointId, entry.outcome === 'registered' ? SERVICE_ID : ENDPOINT_ID);
  const at = isoTime('at', entry.at);
  // The sort key is derived from the entry, so re-recording it (an intent finished after a crash) is a no-op.
  const digest = createHash('sha256')
    .update(JSON.stringify(definedFields(entry)))
    .digest('hex')
    .slice(0, 12);
  return { partition: entry.endpointId, at, fields: { ...definedFields(entry), at }, digest };
}

function toEndpointState(item: Record<string, unknown>): EndpointState {
  const endpointId = item[LEDGER_TABLE_KEY.partitionKey];
  if (typeof endpointId !== 'string') throw new LedgerError('state item without an endpoint id');
  const flags: Record<string, string> = {};
  const rawFlags = item.flags;
  if (typeof rawFlags === 'object' && rawFlags !== null) {
    for (const [name, value] of Object.entries(rawFlags)) {
      if (typeof value === 'string') flags[name] = value;
    }
  }
  const state: EndpointState = { endpointId, flags };
  const { leaseHolder, leaseUntil, leaseToken, lastOutcome } = item;
  if (typeof leaseHolder === 'string' && typeof leaseUntil === 'string' && typeof leaseToken === 'number') {
    state.lease = { holder: leaseHolder, until: leaseUntil, token: leaseToken };
  }
  const outcome = OUTCOMES.find((o) => o === lastOutcome);
  if (outcome !== undefined) state.lastOutcome = outcome;
  if (item.intent !== undefined) state.intent = toIntent(endpointId, item.intent);
  return state;
}

function intentItem(intent: Intent): Record<string, unknown> {
  return {
    ...Object.fromEntries(Object.entries(intent).filter(([, v]) => v !== undefined)),
    entry: definedFields(intent.entry),
  };
}

/** An unfinished intent read back; one we cannot read is an error, never skipped: it may stand for an action taken. */
function toIntent(endpointId: string, raw: unknown): Intent {
  const where = `intent on ${endpointId}`;
  if (raw === null || typeof raw !== 'object') throw new LedgerError(`${where}: not a map`);
  const id: unknown = Reflect.get(raw, 'id');
  const token: unknown = Reflect.get(raw, 'token');
  const done: unknown = Reflect.get(raw, 'done');
  const entry: unknown = Reflect.get(raw, 'entry');
  const onceFlag: unknown = Reflect.get(raw, 'onceFlag');
  const noticeClaim: unknown = Reflect.get(raw, 'noticeClaim');
  if (typeof id !== 'string' || typeof token !== 'number' || typeof done !== 'boolean') {
    throw new LedgerError(`${where}: id, token and done must be a string, a number and a boolean`);
  }
  if (entry === null || typeof entry !== 'object') throw new LedgerError(`${where}: entry must be a map`);
  const intent: Intent = { id, token, done, entry: toLedgerEntry({ ...entry }) };
  if (typeof onceFlag === 'string') intent.onceFlag = onceFlag;
  if (typeof noticeClaim === 'number') intent.noticeClaim = noticeClaim;
  return intent;
}

function checkId(field: string, value: unknown, pattern: RegExp): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new LedgerError(`${field}: not a valid id: ${JSON.stringify(value)}`);
  }
  return value;
}

function checkFlag(flag: string): void {
  if (!FLAG.test(flag)) throw new LedgerError(`flag: must match ${FLAG.source}, got ${JSON.stringify(flag)}`);
}

function checkLeaseMs(leaseMs: number): void {
  if (!Number.isInteger(leaseMs) || leaseMs < 1) {
    throw new LedgerError(`leaseMs: must be a positive whole number, got ${leaseMs}`);
  }
}

function checkHolder(holder: string): void {
  if (typeof holder !== 'string' || holder === '' || holder.length > 256) {
    throw new LedgerError(
      `holder: must be a non-empty string of at most 256 characters, got ${JSON.stringify(holder)}`,
    );
  }
}

/** Normalises to `Date#toISOString` form, so that sort keys and `since` compare as times. */
function isoTime(field: string, value: string): string {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new LedgerError(`${field}: not an ISO-8601 time: ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
}
