/** The live feed: each new ledger entry once, late ones within the overlap too, nothing read while nobody listens. */
import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../../../console/server/ledger-pages.ts';
import { LedgerWatch } from '../../../console/server/ledger-watch.ts';

function entry(key: string, at: string): LedgerRow {
  return {
    key,
    at,
    endpointId: 'vpce-0123456789abcdef0',
    serviceId: 'vpce-svc-0123456789abcdef0',
    account: '111111111111',
    trigger: 'sweep',
    decision: 'review',
    rule: null,
    matched: [],
    reasons: [],
    action: 'none',
    outcome: 'held',
    dryRun: false,
    rulesVersion: 1,
    state: 'pendingAcceptance',
  };
}

/** A ledger in memory, answering `since` as LedgerPages does (from a time on, oldest first). */
function ledgerOf(rows: LedgerRow[]) {
  const reads: string[] = [];
  return {
    rows,
    reads,
    since: async (since: string) => {
      reads.push(since);
      return rows.filter((r) => r.at >= since).sort((a, b) => (a.at < b.at ? -1 : 1));
    },
  };
}

const soon = (ms: number) => new Date(Date.now() + ms).toISOString();

describe('LedgerWatch', () => {
  it('tells a listener of each entry written after it subscribed, once, newest first', async () => {
    const ledger = ledgerOf([entry('old', soon(-1_000))]);
    const watch = new LedgerWatch(ledger, { pollMs: 3_600_000 });
    const told: string[][] = [];
    const stop = watch.subscribe((rows) => told.push(rows.map((r) => r.key)));
    await watch.poll();
    ledger.rows.push(entry('a', soon(1_000)), entry('b', soon(2_000)));
    await watch.poll();
    await watch.poll();
    stop();
    expect(told).toEqual([['b', 'a']]);
  });

  it('an entry written late, with a time before one already sent, is still sent', async () => {
    const ledger = ledgerOf([]);
    const watch = new LedgerWatch(ledger, { pollMs: 3_600_000, overlapMs: 10_000 });
    const told: string[] = [];
    const stop = watch.subscribe((rows) => told.push(...rows.map((r) => r.key)));
    ledger.rows.push(entry('later', soon(5_000)));
    await watch.poll();
    ledger.rows.push(entry('earlier-but-late', soon(3_000)));
    await watch.poll();
    stop();
    expect(told).toEqual(['later', 'earlier-but-late']);
  });

  it('reads nothing while nobody listens', async () => {
    const ledger = ledgerOf([]);
    const watch = new LedgerWatch(ledger, { pollMs: 3_600_000 });
    await watch.poll();
    expect(ledger.reads).toEqual([]);
    const stop = watch.subscribe(() => {});
    await watch.poll();
    stop();
    const before = ledger.reads.length;
    await watch.poll();
    expect(ledger.reads.length).toBe(before);
  });

  it('keeps going after a failed read, and says so', async () => {
    const ledger = ledgerOf([]);
    const errors: unknown[] = [];
    let fail = true;
    const watch = new LedgerWatch(
      {
        since: async (since) => {
          if (fail) throw new Error('throttled');
          return ledger.since(since);
        },
      },
      { pollMs: 3_600_000, onError: (error) => errors.push(error) },
    );
    const told: string[] = [];
    const stop = watch.subscribe((rows) => told.push(...rows.map((r) => r.key)));
    await watch.poll();
    fail = false;
    await watch.poll();
    ledger.rows.push(entry('after', soon(1_000)));
    await watch.poll();
    stop();
    expect(errors).toHaveLength(1);
    expect(told).toEqual(['after']);
  });
});
