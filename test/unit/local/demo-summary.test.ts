import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../../functions/gate/ports.ts';
import { ledgerSummary } from '../../../local/demo.ts';

const entry = (at: string, endpointId: string): LedgerEntry => ({
  at,
  endpointId,
  serviceId: 'vpce-svc-0123456789abcdef0',
  account: '111111111111',
  trigger: 'notification',
  decision: 'accept',
  rule: null,
  matched: [],
  reasons: [],
  action: 'accept',
  outcome: 'accepted',
  dryRun: false,
  rulesVersion: 1,
  state: 'pendingAcceptance',
});

describe("the demo's ledger table", () => {
  it('is in time order, whatever order the notices came in', () => {
    const lines = ledgerSummary([
      entry('2026-12-01T10:00:05.000Z', 'vpce-0000000000000000c'),
      entry('2026-12-01T10:00:01.000Z', 'vpce-0000000000000000a'),
      entry('2026-12-01T10:00:03.000Z', 'vpce-0000000000000000b'),
    ]);
    expect(lines.slice(1).map((line) => /vpce-\w+/.exec(line)?.[0])).toEqual([
      'vpce-0000000000000000a',
      'vpce-0000000000000000b',
      'vpce-0000000000000000c',
    ]);
  });
});
