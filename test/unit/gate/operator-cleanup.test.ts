import { describe, expect, it } from 'vitest';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-items.ts';
import { removeGoneDecisions } from '../../../functions/gate/operator-cleanup.ts';
import {
  connection,
  FakeEndpointServices,
  MemoryLedgerTable,
  MemoryRulesStore,
} from '../../support/gate-fakes.ts';

const SERVICE = 'vpce-svc-0123456789abcdef0';
const GONE = 'vpce-0b7a3c9d1e2f40516';
const LIVE = 'vpce-0b7a3c9d1e2f40517';
const decision = (kind: 'approval' | 'denial', id: string) => ({
  kind,
  id,
  serviceId: SERVICE,
  account: '111111111111',
  actor: 'arn:aws:iam::000000000000:user/alice',
  at: '2026-11-21T11:30:00Z',
});

function world() {
  const items = [decision('denial', GONE), decision('approval', LIVE)];
  const store = new MemoryRulesStore(items);
  const ec2 = new FakeEndpointServices().add(
    connection({ serviceId: SERVICE, endpointId: GONE, state: 'deleted' }),
    connection({ serviceId: SERVICE, endpointId: LIVE, state: 'available' }),
  );
  const ledger = new MemoryLedgerTable();
  const rules = { ruleSet: ruleSetFromItems(items).ruleSet, version: 7, problems: [] };
  const deps = { endpointServices: ec2, ledger, now: () => new Date('2026-12-01T00:00:00Z') };
  return { store, rules, deps, ledger };
}

describe('removing operators’ decisions whose endpoint is gone', () => {
  it('removes only the gone endpoint’s record and says so once in the ledger', async () => {
    const w = world();
    const entries = await removeGoneDecisions(SERVICE, w.rules, w.store, w.deps);
    expect(entries.map((e) => [e.endpointId, e.outcome, e.trigger])).toEqual([[GONE, 'deleted', 'sweep']]);
    expect(w.store.ruleItems.map((i) => i.id)).toEqual([LIVE]);
    expect(w.store.currentVersion).toBe(2);
  });

  it('takes the states a sweep has just read instead of asking EC2: a record whose endpoint is not among them is gone', async () => {
    const w = world();
    const entries = await removeGoneDecisions(
      SERVICE,
      w.rules,
      w.store,
      w.deps,
      new Map([[LIVE, 'available']]),
    );
    expect(w.deps.endpointServices.describeCount).toBe(0);
    expect(entries.map((e) => [e.endpointId, e.outcome])).toEqual([[GONE, 'deleted']]);
    expect(w.store.ruleItems.map((i) => i.id)).toEqual([LIVE]);
  });

  it('two sweeps racing over the same record write one removal, not two', async () => {
    const w = world();
    const [first, second] = await Promise.all([
      removeGoneDecisions(SERVICE, w.rules, w.store, w.deps),
      removeGoneDecisions(SERVICE, w.rules, w.store, w.deps),
    ]);
    expect([...(first ?? []), ...(second ?? [])]).toHaveLength(1);
    expect(w.ledger.entries.filter((e) => e.endpointId === GONE)).toHaveLength(1);
  });
});
