/**
 * The endpoints' state in the ledger table: one `state` item per endpoint (and per service
 * or service#account that takes a lease) holding once-flags (`flags` map), the action lease
 * (`leaseHolder`, `leaseUntil`, fencing `leaseToken`), the unfinished `intent` (write ahead)
 * and `lastOutcome`. Every write to it is conditional, which is what makes the gate's
 * actions idempotent; the writes after an EC2 call are fenced by the lease token.
 * recordIntent writes the intent's history entry in the same transaction, through the ledger.
 */
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type {
  EndpointState,
  EndpointStates,
  Intent,
  IntentFinish,
  Lease,
  LedgerEntry,
  Outcome,
} from '../gate/ports.ts';
import { LeaseLostError, OUTCOMES } from '../gate/ports.ts';
import { errorCode, isConditionalCheckFailed } from './aws-errors.ts';
import { backoffDelay, chunk, type RetryPolicy, retryPolicy } from './batch-retry.ts';
import type { DynamoLedger } from './ledger.ts';
import {
  checkFlag,
  checkHolder,
  checkId,
  checkLeaseMs,
  definedFields,
  ENDPOINT_ID,
  intentItem,
  isoTime,
  LEASE_KEY,
  LedgerError,
  stateKey,
  toEndpointState,
} from './ledger-item-codec.ts';
import { type AdapterLogger, quietLogger } from './logger.ts';

/** BatchGetItem takes at most 100 keys. */
const READ_BATCH = 100;

export interface DynamoEndpointStatesOptions {
  /** The history in the same table: recordIntent writes the intent's entry through it. */
  ledger: DynamoLedger;
  logger?: AdapterLogger;
  /** Retries of BatchGetItem's UnprocessedKeys. */
  retry?: Partial<RetryPolicy>;
}

export class DynamoEndpointStates implements EndpointStates {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #ledger: DynamoLedger;
  readonly #logger: AdapterLogger;
  readonly #retry: RetryPolicy;

  constructor(doc: DynamoDBDocumentClient, tableName: string, options: DynamoEndpointStatesOptions) {
    if (tableName === '') throw new LedgerError('tableName: must not be empty');
    this.#doc = doc;
    this.#table = tableName;
    this.#ledger = options.ledger;
    this.#logger = options.logger ?? quietLogger;
    this.#retry = retryPolicy({ maxRetries: 8, ...options.retry });
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

  private async completeIntent(lease: Lease, intentId: string, entry: LedgerEntry): Promise<void> {
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

  private async claimNotice(
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

  private async markNoticeSent(endpointId: string, noticeFlag: string, now: Date): Promise<void> {
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
    const item = this.#ledger.entryItem(intent.entry);
    try {
      await this.#doc.send(
        new TransactWriteCommand({
          TransactItems: [
            // The sort key is the entry's digest and the item is the entry's alone: writing it
            // again (an intent finished after a crash) writes the same item, so no condition.
            { Put: { TableName: this.#table, Item: item } },
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
    await this.#ledger.append(intent.entry);
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
