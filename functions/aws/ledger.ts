/**
 * The ledger's history in DynamoDB: decision entries under their endpoint (partition
 * `endpointId`, sort key `entry#<ISO time>#<digest or random>`, `expiresAt` for TTL) and
 * rule problems under the partition `rules`. Entries carry `at`, so the byService /
 * byAccount indexes hold only entries. The endpoints' state items in the same table are
 * endpoint-states.ts's; the item formats are ledger-item-codec.ts's.
 */
import { randomBytes } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { HistoryQuery, Ledger, LedgerEntry, RuleProblemEntry } from '../gate/ports.ts';
import {
  LEDGER_BY_ACCOUNT_INDEX,
  LEDGER_BY_SERVICE_INDEX,
  LEDGER_ENTRY_PREFIX,
  LEDGER_TABLE_KEY,
} from '../shared/tables.ts';
import { isConditionalCheckFailed } from './aws-errors.ts';
import {
  ACCOUNT_ID,
  checkId,
  ENDPOINT_ID,
  entryItem,
  entryOf,
  isoTime,
  LedgerError,
  RULES_PARTITION,
  SERVICE_ID,
  toLedgerEntry,
} from './ledger-item-codec.ts';

const DEFAULT_HISTORY_LIMIT = 100;
export const MAX_HISTORY_LIMIT = 10_000;
/** Sorts after every `entry#…` key (ISO times are ASCII) and before `state`. */
const ENTRY_UPPER_BOUND = `${LEDGER_ENTRY_PREFIX}\uffff`;

export interface DynamoLedgerOptions {
  /** Days an entry is kept before DynamoDB's TTL removes it. */
  retentionDays: number;
}

export class DynamoLedger implements Ledger {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retentionSeconds: number;

  constructor(doc: DynamoDBDocumentClient, tableName: string, options: DynamoLedgerOptions) {
    if (tableName === '') throw new LedgerError('tableName: must not be empty');
    if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1) {
      throw new LedgerError(`retentionDays: must be a whole number >= 1, got ${options.retentionDays}`);
    }
    this.#doc = doc;
    this.#table = tableName;
    this.#retentionSeconds = options.retentionDays * 86_400;
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

  async #putEntry(
    partition: string,
    at: string,
    fields: Record<string, unknown>,
    suffix = randomBytes(6).toString('hex'),
  ): Promise<void> {
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: entryItem(partition, at, fields, suffix, this.#retentionSeconds),
        ConditionExpression: 'attribute_not_exists(#sk)',
        ExpressionAttributeNames: { '#sk': LEDGER_TABLE_KEY.sortKey },
      }),
    );
  }

  /**
   * The item `append` writes for a decision, keyed by the entry's digest: for a transaction
   * that writes it together with the endpoint's state (DynamoEndpointStates.recordIntent).
   */
  entryItem(entry: LedgerEntry): Record<string, unknown> {
    const { partition, at, fields, digest } = entryOf(entry);
    return entryItem(partition, at, fields, digest, this.#retentionSeconds);
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
