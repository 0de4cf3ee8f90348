/**
 * The ledger as the console pages through it: newest first, a page at a time, from the
 * table's own keys (an endpoint's partition, the byService and byAccount indexes), never a
 * scan. "Every service" merges one query per managed service. A page ends at a cursor, the
 * (time, key) of its last entry; the next page starts strictly after it.
 */
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { toLedgerEntry } from '../../functions/aws/ledger-item-codec.ts';
import type { LedgerEntry, Outcome } from '../../functions/gate/ports.ts';
import type { Trigger } from '../../functions/shared/events.ts';
import {
  LEDGER_BY_ACCOUNT_INDEX,
  LEDGER_BY_SERVICE_INDEX,
  LEDGER_ENTRY_PREFIX,
  LEDGER_TABLE_KEY,
} from '../../functions/shared/tables.ts';

export interface LedgerFilter {
  endpointId?: string;
  serviceId?: string;
  account?: string;
  outcome?: Outcome;
  trigger?: Trigger;
}

export interface LedgerPageQuery extends LedgerFilter {
  limit: number;
  /** The cursor the previous page ended at. */
  after?: string;
}

/** An entry with the key it is stored under, which the page uses to tell entries apart. */
export interface LedgerRow extends LedgerEntry {
  key: string;
}

export interface LedgerPage {
  entries: LedgerRow[];
  /** Where the next page starts; null when this one is the last. */
  next: string | null;
}

export interface DecisionCounts {
  from: string;
  bucketMs: number;
  /** Oldest first; each bucket's entries by outcome. */
  buckets: { at: string; counts: Partial<Record<Outcome, number>> }[];
  /** True when the window held more entries than are counted. */
  truncated: boolean;
}

/** How many items one page may read in all, whatever the filters leave of them. */
const READ_BUDGET_PER_PAGE = 5_000;
/** The most entries a chart counts. */
const CHART_BUDGET = 100_000;

type Source = Omit<QueryCommandInput, 'ExclusiveStartKey' | 'Limit' | 'ScanIndexForward'>;

export class LedgerPages {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly serviceIds: () => Promise<string[]>,
  ) {}

  async page(query: LedgerPageQuery): Promise<LedgerPage> {
    const cursor = query.after === undefined ? undefined : parseCursor(query.after);
    const sources = await this.sources(query, cursor ? { to: cursor.at } : {});
    // Each source reads at most a page's worth of matches; the page takes the newest of them all.
    const lists = await Promise.all(sources.map((source) => this.newest(source, query.limit + 1, cursor)));
    const merged = lists.flat().sort(newestFirst);
    const entries = merged.slice(0, query.limit);
    const last = entries.at(-1);
    return { entries, next: merged.length > query.limit && last ? cursorOf(last) : null };
  }

  /** Entries from `since` on (inclusive), oldest first: what the live feed has not seen yet. */
  async since(since: string, filter: LedgerFilter = {}, limit = 500): Promise<LedgerRow[]> {
    const sources = await this.sources(filter, { from: since });
    const lists = await Promise.all(
      sources.map(async (source) => {
        const out = await this.doc.send(
          new QueryCommand({ ...source, ScanIndexForward: true, Limit: limit }),
        );
        return (out.Items ?? []).map(rowOf);
      }),
    );
    return lists.flat().sort((a, b) => -newestFirst(a, b));
  }

  /** Decisions by outcome in `buckets` equal slices of the window before `until`. */
  async counts(
    filter: LedgerFilter,
    window: { until: Date; ms: number; buckets: number },
  ): Promise<DecisionCounts> {
    const from = new Date(window.until.getTime() - window.ms);
    const bucketMs = Math.ceil(window.ms / window.buckets);
    const buckets = Array.from({ length: window.buckets }, (_, i) => ({
      at: new Date(from.getTime() + i * bucketMs).toISOString(),
      counts: {} as Partial<Record<Outcome, number>>,
    }));
    const sources = await this.sources(filter, { from: from.toISOString() });
    let counted = 0;
    let truncated = false;
    for (const source of sources) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const out = await this.doc.send(
          new QueryCommand({
            ...source,
            ProjectionExpression: '#at, outcome',
            ExpressionAttributeNames: { ...source.ExpressionAttributeNames, '#at': 'at' },
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        for (const item of out.Items ?? []) {
          const at = Date.parse(String(item.at));
          const slot = buckets[Math.floor((at - from.getTime()) / bucketMs)];
          const outcome = item.outcome as Outcome;
          if (slot) slot.counts[outcome] = (slot.counts[outcome] ?? 0) + 1;
          counted += 1;
        }
        startKey = out.LastEvaluatedKey;
        if (counted >= CHART_BUDGET) truncated = startKey !== undefined;
      } while (startKey !== undefined && counted < CHART_BUDGET);
    }
    return { from: from.toISOString(), bucketMs, buckets, truncated };
  }

  /** The newest `limit` entries of one source that match, older than the cursor. */
  private async newest(source: Source, limit: number, cursor: Cursor | undefined): Promise<LedgerRow[]> {
    const rows: LedgerRow[] = [];
    let startKey: Record<string, unknown> | undefined;
    let read = 0;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          ...source,
          ScanIndexForward: false,
          Limit: Math.max(limit - rows.length, 25),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of out.Items ?? []) {
        const row = rowOf(item);
        if (!cursor || newestFirst(row, { at: cursor.at, key: cursor.key }) > 0) rows.push(row);
      }
      read += out.ScannedCount ?? out.Items?.length ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined && rows.length < limit && read < READ_BUDGET_PER_PAGE);
    return rows.slice(0, limit);
  }

  /** The queries that hold the entries asked for: a partition or an index, times bounded. */
  private async sources(filter: LedgerFilter, times: { from?: string; to?: string }): Promise<Source[]> {
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const where = (field: 'outcome' | 'trigger' | 'serviceId', value: string | undefined) => {
      if (value === undefined) return;
      filters.push(`#f_${field} = :f_${field}`);
      names[`#f_${field}`] = field;
      values[`:f_${field}`] = value;
    };
    where('outcome', filter.outcome);
    where('trigger', filter.trigger);
    const filterPart = () =>
      filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : ({} as Record<string, never>);

    if (filter.endpointId !== undefined) {
      if (filter.serviceId !== undefined) where('serviceId', filter.serviceId);
      // Sort keys are entry#<time>#<suffix>: a time bound is a key bound.
      const from = times.from === undefined ? LEDGER_ENTRY_PREFIX : `${LEDGER_ENTRY_PREFIX}${times.from}`;
      const to = `${LEDGER_ENTRY_PREFIX}${times.to ?? '\uffff'}\uffff`;
      return [
        {
          TableName: this.table,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: {
            '#pk': LEDGER_TABLE_KEY.partitionKey,
            '#sk': LEDGER_TABLE_KEY.sortKey,
            ...names,
          },
          ExpressionAttributeValues: { ':pk': filter.endpointId, ':from': from, ':to': to, ...values },
          ...filterPart(),
        },
      ];
    }
    const byIndex = (
      index: { name: string; partitionKey: string; sortKey: string },
      value: string,
    ): Source => {
      const bounds =
        times.from !== undefined && times.to !== undefined
          ? { key: ' AND #at BETWEEN :from AND :to', values: { ':from': times.from, ':to': times.to } }
          : times.from !== undefined
            ? { key: ' AND #at >= :from', values: { ':from': times.from } }
            : times.to !== undefined
              ? { key: ' AND #at <= :to', values: { ':to': times.to } }
              : { key: '', values: {} };
      return {
        TableName: this.table,
        IndexName: index.name,
        KeyConditionExpression: `#pk = :pk${bounds.key}`,
        ExpressionAttributeNames: {
          '#pk': index.partitionKey,
          ...(bounds.key ? { '#at': index.sortKey } : {}),
          ...names,
        },
        ExpressionAttributeValues: { ':pk': value, ...bounds.values, ...values },
        ...filterPart(),
      };
    };
    if (filter.account !== undefined) {
      where('serviceId', filter.serviceId);
      return [byIndex(LEDGER_BY_ACCOUNT_INDEX, filter.account)];
    }
    const services = filter.serviceId !== undefined ? [filter.serviceId] : await this.serviceIds();
    return services.map((id) => byIndex(LEDGER_BY_SERVICE_INDEX, id));
  }
}

interface Cursor {
  at: string;
  key: string;
}

function rowOf(item: Record<string, unknown>): LedgerRow {
  return {
    ...toLedgerEntry(item),
    key: `${String(item[LEDGER_TABLE_KEY.partitionKey])}/${String(item[LEDGER_TABLE_KEY.sortKey])}`,
  };
}

/** Newest first; entries of the same instant by key, so every entry has one place. */
function newestFirst(a: Cursor, b: Cursor): number {
  if (a.at !== b.at) return a.at < b.at ? 1 : -1;
  return a.key < b.key ? 1 : a.key > b.key ? -1 : 0;
}

function cursorOf(row: LedgerRow): string {
  return Buffer.from(JSON.stringify({ at: row.at, key: row.key })).toString('base64url');
}

export class CursorError extends Error {
  override name = 'CursorError';
}

function parseCursor(text: string): Cursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof Reflect.get(value, 'at') === 'string' &&
      typeof Reflect.get(value, 'key') === 'string'
    ) {
      return { at: Reflect.get(value, 'at'), key: Reflect.get(value, 'key') };
    }
  } catch {
    // Reported below, with the value.
  }
  throw new CursorError(`after: not a cursor this console gave, got "${text.slice(0, 80)}"`);
}
