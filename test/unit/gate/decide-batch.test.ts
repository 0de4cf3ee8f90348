import { describe, expect, it } from 'vitest';
import { decideConnectionEvent, decideConnectionEvents } from '../../../functions/gate/decide-event.ts';
import { RuleSetCache } from '../../../functions/gate/rules-cache.ts';
import type { ConnectionEventDetail } from '../../../functions/shared/events.ts';
import { BLOCKED, PARTNER } from '../../support/accounts.ts';
import {
  connection,
  FakeEndpointServices,
  MemoryLedgerTable,
  MemoryRulesStore,
  RecordingEvents,
  RecordingNotifier,
} from '../../support/gate-fakes.ts';

const A = 'vpce-svc-0aaaaaaaaaaaaaaa0';
const B = 'vpce-svc-0bbbbbbbbbbbbbbb0';
const UNMANAGED = 'vpce-svc-0ccccccccccccccc0';

function setup() {
  const ec2 = new FakeEndpointServices();
  const items = [
    { kind: 'defaults', id: 'defaults', defaultEffect: 'review' },
    { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: [PARTNER] } },
    { kind: 'rule', id: 'blocked', effect: 'reject', match: { accounts: [BLOCKED] } },
  ];
  const deps = {
    endpointServices: ec2,
    ledger: new MemoryLedgerTable(),
    notifier: new RecordingNotifier(),
    events: new RecordingEvents(),
    now: () => new Date('2026-11-21T12:00:00Z'),
    holder: 'batch-1',
    rules: new RuleSetCache(new MemoryRulesStore(items)),
  };
  return { ec2, deps };
}

const event = (serviceId: string, endpointId?: string): ConnectionEventDetail => ({
  serviceId,
  ...(endpointId ? { endpointId } : {}),
  trigger: 'notification',
});

describe('deciding a batch of connection events', () => {
  it('reads and acts once per service, not once per event', async () => {
    const { ec2, deps } = setup();
    const a = [PARTNER, PARTNER, BLOCKED].map((account) => connection({ serviceId: A, account }));
    const b = [PARTNER, PARTNER].map((account) => connection({ serviceId: B, account }));
    ec2.add(...a, ...b);

    const results = decideConnectionEvents(
      [...a, ...b].map((c) => event(c.serviceId, c.endpointId)),
      deps,
    );
    const decided = await Promise.all([...results.values()]);

    expect([...results.keys()]).toEqual([A, B]);
    expect(decided.map((r) => (r.status === 'decided' ? r.entries.length : r.status))).toEqual([3, 2]);
    // Per service: one describe of every named endpoint, one re-read under the leases.
    expect(ec2.describeCount).toBe(4);
    expect(ec2.calls).toEqual([
      { action: 'accept', serviceId: A, endpointIds: [a[0]?.endpointId, a[1]?.endpointId] },
      { action: 'reject', serviceId: A, endpointIds: [a[2]?.endpointId] },
      { action: 'accept', serviceId: B, endpointIds: b.map((c) => c.endpointId) },
    ]);
    expect([...a, ...b].map((c) => ec2.state(c.endpointId))).toEqual([
      'available',
      'available',
      'rejected',
      'available',
      'available',
    ]);
  });

  it('decides the same connections as one event at a time would', async () => {
    const batched = setup();
    const single = setup();
    const accounts = [PARTNER, BLOCKED, '222222222222', PARTNER];
    const connections = accounts.map((account) => connection({ serviceId: A, account }));
    batched.ec2.add(...connections.map((c) => ({ ...c })));
    single.ec2.add(...connections.map((c) => ({ ...c })));

    await Promise.all(
      decideConnectionEvents(
        connections.map((c) => event(A, c.endpointId)),
        batched.deps,
      ).values(),
    );
    for (const c of connections) await decideConnectionEvent(event(A, c.endpointId), single.deps);

    const outcomes = (w: ReturnType<typeof setup>) =>
      w.deps.ledger.entries.map((e) => [e.endpointId, e.outcome, e.rule]).sort();
    expect(outcomes(batched)).toEqual(outcomes(single));
    expect(batched.ec2.calls.length).toBe(2);
    expect(single.ec2.calls.length).toBe(3);
  });

  it('reads the whole service when an event names no endpoint', async () => {
    const { ec2, deps } = setup();
    const named = connection({ serviceId: A, account: PARTNER });
    const other = connection({ serviceId: A, account: PARTNER });
    ec2.add(named, other);
    const [result] = await Promise.all(
      decideConnectionEvents([event(A, named.endpointId), event(A)], deps).values(),
    );
    expect(result?.status === 'decided' && result.entries.map((e) => e.endpointId).sort()).toEqual(
      [named.endpointId, other.endpointId].sort(),
    );
  });

  it("leaves an unmanaged service's connections alone, and a fault of one service fails only its events", async () => {
    const { ec2, deps } = setup();
    const foreign = connection({ serviceId: UNMANAGED, account: PARTNER });
    const broken = connection({ serviceId: B, account: PARTNER });
    const fine = connection({ serviceId: A, account: PARTNER });
    ec2.add(foreign, broken, fine);
    ec2.managed.delete(UNMANAGED);
    const describe = ec2.describeConnections.bind(ec2);
    ec2.describeConnections = async (serviceId, filter) => {
      if (serviceId === B) throw new Error('EC2 is throttling');
      return describe(serviceId, filter);
    };

    const results = decideConnectionEvents(
      [event(UNMANAGED, foreign.endpointId), event(B, broken.endpointId), event(A, fine.endpointId)],
      deps,
    );

    await expect(results.get(UNMANAGED)).resolves.toEqual({ status: 'unmanaged' });
    await expect(results.get(B)).rejects.toThrow('EC2 is throttling');
    await expect(results.get(A)).resolves.toMatchObject({ status: 'decided' });
    expect(ec2.state(foreign.endpointId)).toBe('pendingAcceptance');
    expect(ec2.state(fine.endpointId)).toBe('available');
  });
});
