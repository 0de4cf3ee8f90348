import { describe, expect, it } from 'vitest';
import { handleRuleChanges } from '../../../functions/gate/rule-change.ts';
import {
  MemoryLedger,
  MemoryRulesStore,
  RecordingEvents,
  RecordingNotifier,
} from '../../support/gate-fakes.ts';

const SERVICE = 'vpce-svc-0123456789abcdef0';

function deps() {
  return {
    rulesStore: new MemoryRulesStore([]),
    ledger: new MemoryLedger(),
    notifier: new RecordingNotifier(),
    events: new RecordingEvents(),
    now: () => new Date('2026-11-21T12:00:00Z'),
  };
}

describe('rule change', () => {
  it('bumps the version once and sweeps only the services a scoped rule reaches', async () => {
    const d = deps();
    const result = await handleRuleChanges(
      [
        { id: '1', newItem: { kind: 'rule', id: 'a', effect: 'accept', services: [SERVICE], match: {} } },
        { id: '2', newItem: { kind: 'service', id: 'vpce-svc-0aaaaaaaaaaaaaaa0', mode: 'dry-run' } },
      ],
      d,
    );
    expect(result.version).toBe(2);
    expect(result.services).toEqual([SERVICE, 'vpce-svc-0aaaaaaaaaaaaaaa0'].sort());
    expect(d.events.sweepRequests).toEqual([{ reason: 'rule-change', serviceIds: result.services }]);
    expect(result.invalid).toEqual([]);
  });

  it('reports an invalid item by name and field, in the ledger and as a notice', async () => {
    const d = deps();
    const result = await handleRuleChanges(
      [{ id: '1', newItem: { kind: 'rule', id: 'broken', effect: 'accept', match: { accounts: ['12'] } } }],
      d,
    );
    expect(result.invalid).toHaveLength(1);
    expect(d.ledger.ruleProblems[0]?.item).toEqual({ kind: 'rule', id: 'broken' });
    expect(d.ledger.ruleProblems[0]?.problems.map((p) => p.path).join(' ')).toContain('match.accounts');
    expect(d.notifier.notices[0]).toMatchObject({ kind: 'invalid-rule', item: { id: 'broken' } });
    expect(result.services).toBe('all');
  });

  it('says what each kind of invalid item holds: a service, every service, review, or nothing', async () => {
    const d = deps();
    const result = await handleRuleChanges(
      [
        { id: '1', newItem: { kind: 'service', id: SERVICE, mode: 'dryrun' } },
        { id: '2', newItem: { kind: 'defaults', id: 'defaults', pendingTtl: 'soon' } },
        { id: '3', newItem: { kind: 'rule', id: 'r', effect: 'reject', services: [SERVICE], match: 7 } },
        { id: '4', newItem: { kind: 'rule', id: 'a', effect: 'accept', match: 7 } },
      ],
      d,
    );
    expect(result.invalid.map((entry) => entry.held)).toEqual([
      `service ${SERVICE} is held: no accept, reject, expiry or revoke on its connections until the item is fixed`,
      'every service without complete settings of its own is held: no accept, reject, expiry or revoke on its connections until the item is fixed',
      `every request of service ${SERVICE} is held for review, never accepted, until the item is fixed`,
      'this accept rule accepts nothing until it is fixed; the other rules and the defaults decide',
    ]);
    expect(d.ledger.ruleProblems.map((entry) => entry.held)).toEqual(
      result.invalid.map((entry) => entry.held),
    );
    expect(d.ledger.ruleProblems[0]?.problems).toEqual([
      { path: 'mode', message: 'must be one of enforce, dry-run, off, got "dryrun"' },
    ]);
    expect(d.notifier.notices).toHaveLength(4);
  });

  it('ignores its own version bumps and sweeps everything when a removed rule had no scope', async () => {
    const d = deps();
    const meta = await handleRuleChanges(
      [{ id: '1', newItem: { kind: 'meta', id: 'version', version: 3 } }],
      d,
    );
    expect(meta.version).toBeUndefined();
    expect(d.events.sweepRequests).toEqual([]);
    const removed = await handleRuleChanges(
      [{ id: '2', oldItem: { kind: 'rule', id: 'x', effect: 'reject', match: {} } }],
      d,
    );
    expect(removed.services).toBe('all');
    expect(d.events.sweepRequests).toEqual([{ reason: 'rule-change' }]);
  });
});
