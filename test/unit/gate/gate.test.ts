import { beforeEach, describe, expect, it } from 'vitest';
import { decideConnectionEvent } from '../../../functions/gate/decide-event.ts';
import { type DecideDeps, decideService } from '../../../functions/gate/decide-service.ts';
import { RuleSetCache } from '../../../functions/gate/rules-cache.ts';
import { sweep } from '../../../functions/gate/sweep.ts';
import { BLOCKED, PARTNER } from '../../support/accounts.ts';
import {
  connection,
  FakeEndpointServices,
  MemoryLedgerTable,
  MemoryRulesStore,
  RecordingEvents,
  RecordingNotifier,
} from '../../support/gate-fakes.ts';

const SERVICE = 'vpce-svc-0123456789abcdef0';
const UNKNOWN = '333333333333';
const NOW = new Date('2026-11-21T12:00:00Z');

const baseItems = (): Record<string, unknown>[] => [
  {
    kind: 'defaults',
    id: 'defaults',
    defaultEffect: 'review',
    pendingTtl: 'P7D',
    onRevoke: 'notify',
    mode: 'enforce',
  },
  { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: [PARTNER] } },
  { kind: 'rule', id: 'blocked', effect: 'reject', match: { accounts: [BLOCKED] } },
];

function setup(items = baseItems()) {
  const ec2 = new FakeEndpointServices();
  ec2.managed.add(SERVICE);
  const ledger = new MemoryLedgerTable();
  const notifier = new RecordingNotifier();
  const events = new RecordingEvents();
  const store = new MemoryRulesStore(items);
  let clock = NOW;
  const deps: DecideDeps & { rules: RuleSetCache } = {
    endpointServices: ec2,
    ledger,
    notifier,
    events,
    now: () => clock,
    holder: 'invocation-1',
    rules: new RuleSetCache(store),
  };
  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  return { ec2, ledger, notifier, events, store, deps, advance };
}

describe('decide on a connection event', () => {
  let world: ReturnType<typeof setup>;
  beforeEach(() => {
    world = setup();
  });

  it('accepts a partner, rejects a blocked account and holds an unknown one', async () => {
    // Prepare
    const partner = connection({ account: PARTNER });
    const blocked = connection({ account: BLOCKED });
    const unknown = connection({ account: UNKNOWN });
    world.ec2.add(partner, blocked, unknown);
    // Act
    for (const c of [partner, blocked, unknown]) {
      await decideConnectionEvent(
        { serviceId: SERVICE, endpointId: c.endpointId, trigger: 'notification' },
        world.deps,
      );
    }
    // Assess
    expect(world.ec2.state(partner.endpointId)).toBe('available');
    expect(world.ec2.state(blocked.endpointId)).toBe('rejected');
    expect(world.ec2.state(unknown.endpointId)).toBe('pendingAcceptance');
    expect(world.ledger.outcomes()).toEqual([
      [partner.endpointId, 'accepted'],
      [blocked.endpointId, 'rejected'],
      [unknown.endpointId, 'held'],
    ]);
    expect(world.ledger.entries[0]).toMatchObject({ rule: 'partners', decision: 'accept', action: 'accept' });
    expect(world.notifier.notices).toHaveLength(3);
    expect(world.events.decisionEntries.map((e) => e.outcome)).toEqual(['accepted', 'rejected', 'held']);
  });

  it('never acts twice on duplicate or late events', async () => {
    const partner = connection({ account: PARTNER });
    const unknown = connection({ account: UNKNOWN });
    world.ec2.add(partner, unknown);
    for (let i = 0; i < 3; i += 1) {
      await decideConnectionEvent(
        { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'notification' },
        world.deps,
      );
      await decideConnectionEvent(
        { serviceId: SERVICE, endpointId: unknown.endpointId, trigger: 'notification' },
        world.deps,
      );
    }
    expect(world.ec2.calls).toEqual([
      { action: 'accept', serviceId: SERVICE, endpointIds: [partner.endpointId] },
    ]);
    expect(world.ledger.outcomes()).toEqual([
      [partner.endpointId, 'accepted'],
      [unknown.endpointId, 'held'],
    ]);
    expect(world.notifier.notices).toHaveLength(2);
  });

  it('does nothing while another decider holds the lease', async () => {
    const partner = connection({ account: PARTNER });
    world.ec2.add(partner);
    await world.ledger.acquireLease(partner.endpointId, 'someone-else', NOW, 60_000);
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'notification' },
      world.deps,
    );
    expect(world.ec2.calls).toEqual([]);
    expect(world.ledger.entries).toEqual([]);
  });

  it('ignores an event for a service that is not managed (spoofed or stray)', async () => {
    const foreign = connection({ serviceId: 'vpce-svc-0aaaaaaaaaaaaaaaa', account: PARTNER });
    world.ec2.connections.set(foreign.endpointId, foreign);
    const result = await decideConnectionEvent(
      { serviceId: foreign.serviceId, endpointId: foreign.endpointId, trigger: 'notification' },
      world.deps,
    );
    expect(result.status).toBe('unmanaged');
    expect(world.ec2.calls).toEqual([]);
    expect(world.ec2.describeCount).toBe(0);
  });

  it('records nothing when the consumer deleted its endpoint before the action', async () => {
    const partner = connection({ account: PARTNER });
    world.ec2.add(partner);
    world.ec2.beforeAction = () => {
      const c = world.ec2.connections.get(partner.endpointId);
      if (c) c.state = 'deleted';
    };
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'notification' },
      world.deps,
    );
    expect(world.ledger.entries).toEqual([]);
    expect(world.notifier.notices).toEqual([]);
    expect(world.ledger.endpointStates.get(partner.endpointId)?.lease).toBeUndefined();
  });

  it('acts on the state EC2 has under the lease, not on the stale state it was given', async () => {
    // Prepare: a sweep read the blocked account's request as pending; by the time it acts,
    // someone else has accepted it. Rejecting it now would be a contradictory second action.
    const blocked = connection({ account: BLOCKED });
    world.ec2.add(blocked);
    const stale = [{ ...blocked }];
    const current = world.ec2.connections.get(blocked.endpointId);
    if (current) current.state = 'available';
    // Act
    const entries = await decideService(
      { serviceId: SERVICE, connections: stale, trigger: 'sweep', rules: await world.deps.rules.current() },
      world.deps,
    );
    // Assess: no action; what EC2 shows now (a blocked account's live connection) is drift.
    expect(world.ec2.calls).toEqual([]);
    expect(entries.map((e) => [e.outcome, e.action, e.state])).toEqual([['drift', 'none', 'available']]);
  });

  it('records a failure that EC2 reports in Unsuccessful, and never as accepted', async () => {
    const partner = connection({ account: PARTNER });
    world.ec2.add(partner);
    world.ec2.failNext.set(partner.endpointId, 'InternalError');
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'notification' },
      world.deps,
    );
    expect(world.ledger.entries).toHaveLength(1);
    expect(world.ledger.entries[0]).toMatchObject({ outcome: 'failed', error: { code: 'InternalError' } });
    // The next trigger tries again.
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'sweep' },
      world.deps,
    );
    expect(world.ledger.outcomes().map(([, o]) => o)).toEqual(['failed', 'accepted']);
  });

  it('expires a held request once its review TTL has passed', async () => {
    const unknown = connection({ account: UNKNOWN, createdAt: new Date(NOW.getTime() - 8 * 86_400_000) });
    world.ec2.add(unknown);
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: unknown.endpointId, trigger: 'sweep' },
      world.deps,
    );
    expect(world.ec2.state(unknown.endpointId)).toBe('rejected');
    expect(world.ledger.entries[0]).toMatchObject({
      outcome: 'expired',
      decision: 'review',
      action: 'reject',
    });
  });

  it('takes an edited rule on the next event, reading only the version while unchanged', async () => {
    const unknown = connection({ account: UNKNOWN });
    world.ec2.add(unknown);
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: unknown.endpointId, trigger: 'notification' },
      world.deps,
    );
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: unknown.endpointId, trigger: 'notification' },
      world.deps,
    );
    expect(world.store.itemReads).toBe(1);
    world.store.ruleItems.push({
      kind: 'rule',
      id: 'newcomer',
      effect: 'accept',
      match: { accounts: [UNKNOWN] },
    });
    await world.store.bumpVersion();
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: unknown.endpointId, trigger: 'notification' },
      world.deps,
    );
    expect(world.store.itemReads).toBe(2);
    expect(world.ec2.state(unknown.endpointId)).toBe('available');
  });
});

describe('service modes', () => {
  it('dry-run records and notifies what it would do, once, and acts on nothing', async () => {
    const world = setup([...baseItems(), { kind: 'service', id: SERVICE, mode: 'dry-run' }]);
    const partner = connection({ account: PARTNER });
    world.ec2.add(partner);
    for (let i = 0; i < 2; i += 1) {
      await decideConnectionEvent(
        { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'notification' },
        world.deps,
      );
    }
    expect(world.ec2.calls).toEqual([]);
    expect(world.ledger.entries).toHaveLength(1);
    expect(world.ledger.entries[0]).toMatchObject({ outcome: 'accepted', dryRun: true, action: 'accept' });
  });

  it('off ignores the service', async () => {
    const world = setup([...baseItems(), { kind: 'service', id: SERVICE, mode: 'off' }]);
    const partner = connection({ account: PARTNER });
    world.ec2.add(partner);
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'notification' },
      world.deps,
    );
    expect(world.ec2.calls).toEqual([]);
    expect(world.ledger.entries).toEqual([]);
  });
});

describe('a service held by an invalid settings item', () => {
  const DAY = 86_400_000;
  /** Connections that would each take an EC2 action: accept, reject, expiry, revoke. */
  function crowd() {
    return [
      connection({ account: PARTNER }),
      connection({ account: BLOCKED }),
      connection({ account: UNKNOWN, createdAt: new Date(NOW.getTime() - 30 * DAY) }),
      connection({ account: BLOCKED, state: 'available' }),
    ];
  }

  for (const [name, broken] of [
    ['mode: dryrun', { kind: 'service', id: SERVICE, mode: 'dryrun', onRevoke: 'reject' }],
    ['pendingTtl: soon', { kind: 'service', id: SERVICE, pendingTtl: 'soon', onRevoke: 'reject' }],
  ] as const) {
    it(`takes no EC2 action of any kind and records each waiting request as held, once (${name})`, async () => {
      const world = setup([...baseItems(), broken]);
      const connections = crowd();
      world.ec2.add(...connections);
      const sweepDeps = {
        ...world.deps,
        ingestTopicArn: 'arn:aws:sns:us-east-1:000000000000:ingest',
        remainingMs: () => 1_000_000,
      };
      for (let i = 0; i < 2; i += 1) {
        const report = await sweep({}, sweepDeps);
        expect(report.services[0]).toMatchObject({ serviceId: SERVICE, mode: 'held', enrolled: [] });
      }
      expect(world.ec2.calls).toEqual([]);
      expect(world.ec2.enrolled).toEqual([]);
      const pending = connections.filter((c) => c.state === 'pendingAcceptance');
      expect(world.ledger.outcomes()).toEqual(pending.map((c) => [c.endpointId, 'held']));
      for (const entry of world.ledger.entries) {
        expect(entry).toMatchObject({ decision: 'review', action: 'none', rule: null });
        expect(entry.reasons[0]).toContain(`service item "${SERVICE}" is invalid`);
        expect(entry.reasons[0]).toContain('is held: no accept, reject, expiry or revoke');
      }
    });
  }

  it('an invalid defaults item holds every service without complete settings of its own', async () => {
    const items = baseItems().filter((item) => item.kind !== 'defaults');
    const world = setup([
      ...items,
      { kind: 'defaults', id: 'defaults', mode: 'off', defaultEffect: 'maybe' },
    ]);
    const connections = crowd();
    world.ec2.add(...connections);
    for (let i = 0; i < 2; i += 1) {
      await decideService(
        { serviceId: SERVICE, connections, trigger: 'sweep', rules: await world.deps.rules.current() },
        world.deps,
      );
    }
    expect(world.ec2.calls).toEqual([]);
    expect(world.ledger.outcomes()).toEqual(
      connections.filter((c) => c.state === 'pendingAcceptance').map((c) => [c.endpointId, 'held']),
    );
    expect(world.ledger.entries[0]?.reasons[0]).toContain('defaults item "defaults" is invalid');
  });
});

describe('revocation of available connections', () => {
  it('notifies drift once under onRevoke notify, and again after it heals', async () => {
    const world = setup();
    const was = connection({ account: BLOCKED, state: 'available' });
    world.ec2.add(was);
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: was.endpointId, trigger: 'rule-change' },
      world.deps,
    );
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: was.endpointId, trigger: 'sweep' },
      world.deps,
    );
    expect(world.ledger.outcomes()).toEqual([[was.endpointId, 'drift']]);
    expect(world.ec2.calls).toEqual([]);
    // The rule that caused the drift goes; drift heals; it comes back and is told again.
    world.store.ruleItems = world.store.ruleItems.filter((item) => item.id !== 'blocked');
    await world.store.bumpVersion();
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: was.endpointId, trigger: 'rule-change' },
      world.deps,
    );
    expect(world.ledger.endpointStates.get(was.endpointId)?.flags).toEqual({});
    world.store.ruleItems.push({
      kind: 'rule',
      id: 'blocked',
      effect: 'reject',
      match: { accounts: [BLOCKED] },
    });
    await world.store.bumpVersion();
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: was.endpointId, trigger: 'rule-change' },
      world.deps,
    );
    expect(world.ledger.outcomes()).toEqual([
      [was.endpointId, 'drift'],
      [was.endpointId, 'drift'],
    ]);
  });

  it('rejects as revoked under onRevoke reject', async () => {
    const world = setup([...baseItems(), { kind: 'service', id: SERVICE, onRevoke: 'reject' }]);
    const was = connection({ account: BLOCKED, state: 'available' });
    world.ec2.add(was);
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: was.endpointId, trigger: 'rule-change' },
      world.deps,
    );
    expect(world.ec2.state(was.endpointId)).toBe('rejected');
    expect(world.ledger.outcomes()).toEqual([[was.endpointId, 'revoked']]);
  });
});

describe('limits never revoke', () => {
  const limitItems = (): Record<string, unknown>[] => [
    { kind: 'defaults', id: 'defaults', defaultEffect: 'reject', onRevoke: 'reject' },
    {
      kind: 'rule',
      id: 'limited',
      effect: 'accept',
      match: { accounts: [PARTNER] },
      limits: { maxEndpointsPerAccount: 2 },
    },
  ];

  it('a connection accepted under its limit stays when its Accept notification arrives', async () => {
    const world = setup(limitItems());
    const first = connection({ account: PARTNER, createdAt: new Date('2026-11-20T09:00:00Z') });
    const second = connection({ account: PARTNER });
    world.ec2.add(first, second);
    for (const c of [first, second]) {
      const event = { serviceId: SERVICE, endpointId: c.endpointId, trigger: 'notification' as const };
      await decideConnectionEvent(event, world.deps); // Connect
      await decideConnectionEvent(event, world.deps); // Accept
    }
    await decideConnectionEvent({ serviceId: SERVICE, trigger: 'sweep' }, world.deps);
    expect(world.ledger.outcomes()).toEqual([
      [first.endpointId, 'accepted'],
      [second.endpointId, 'accepted'],
    ]);
    expect([world.ec2.state(first.endpointId), world.ec2.state(second.endpointId)]).toEqual([
      'available',
      'available',
    ]);
  });

  it('a third request past the limit is decided by the default, and the two accepted stay', async () => {
    const world = setup(limitItems());
    const live = [
      connection({ account: PARTNER, state: 'available' }),
      connection({ account: PARTNER, state: 'available' }),
    ];
    const third = connection({ account: PARTNER });
    world.ec2.add(...live, third);
    await decideConnectionEvent({ serviceId: SERVICE, trigger: 'sweep' }, world.deps);
    expect(world.ledger.outcomes()).toEqual([[third.endpointId, 'rejected']]);
    expect(world.ec2.calls).toEqual([
      { action: 'reject', serviceId: SERVICE, endpointIds: [third.endpointId] },
    ]);
  });
});

describe('organizations', () => {
  const orgRules = (): Record<string, unknown>[] => [
    { kind: 'rule', id: 'our-org', effect: 'accept', match: { organizations: ['o-abcdefghij'] } },
    {
      kind: 'rule',
      id: 'quarantine',
      effect: 'reject',
      match: { organizationalUnits: ['ou-ab12-quarantn'] },
    },
  ];

  it('looks the account up only when a rule needs it, and decides by its path', async () => {
    const world = setup(orgRules());
    const lookups: string[] = [];
    world.deps.organizations = {
      pathOf: async (account) => {
        lookups.push(account);
        return account === UNKNOWN
          ? { organizationId: 'o-abcdefghij', ouIds: ['ou-ab12-sales001'] }
          : undefined;
      },
    };
    const member = connection({ account: UNKNOWN });
    world.ec2.add(member);
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: member.endpointId, trigger: 'notification' },
      world.deps,
    );
    expect(lookups).toEqual([UNKNOWN]);
    expect(world.ledger.entries[0]).toMatchObject({ outcome: 'accepted', rule: 'our-org' });
  });

  it('holds when the lookup fails and a reject rule might apply: never accepts on missing data', async () => {
    const world = setup(orgRules());
    world.deps.organizations = { pathOf: async () => undefined };
    const member = connection({ account: UNKNOWN });
    world.ec2.add(member);
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: member.endpointId, trigger: 'notification' },
      world.deps,
    );
    expect(world.ec2.calls).toEqual([]);
    expect(world.ledger.entries[0]).toMatchObject({ outcome: 'held', decision: 'review' });
  });

  it('does not call Organizations when no rule needs it', async () => {
    const world = setup();
    let lookups = 0;
    world.deps.organizations = {
      pathOf: async () => {
        lookups += 1;
        return undefined;
      },
    };
    const partner = connection({ account: PARTNER });
    world.ec2.add(partner);
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'notification' },
      world.deps,
    );
    expect(lookups).toBe(0);
  });
});

describe('limits', () => {
  it('accepts no more than the limit, oldest first, counting what is already accepted', async () => {
    const world = setup([
      {
        kind: 'rule',
        id: 'limited',
        effect: 'accept',
        match: { accounts: [PARTNER] },
        limits: { maxEndpointsPerAccount: 2 },
      },
    ]);
    const live = connection({ account: PARTNER, state: 'available' });
    const first = connection({ account: PARTNER, createdAt: new Date('2026-11-20T10:00:00Z') });
    const second = connection({ account: PARTNER, createdAt: new Date('2026-11-20T11:00:00Z') });
    world.ec2.add(live, second, first);
    await decideConnectionEvent({ serviceId: SERVICE, trigger: 'sweep' }, world.deps);
    expect(world.ec2.state(first.endpointId)).toBe('available');
    expect(world.ec2.state(second.endpointId)).toBe('pendingAcceptance');
    expect(world.ledger.outcomes()).toEqual([
      [first.endpointId, 'accepted'],
      [second.endpointId, 'held'],
    ]);
  });
});

describe('sweep', () => {
  it('enrolls, finds what no event decided, pages through, and continues when time runs short', async () => {
    const world = setup();
    const connections = [PARTNER, BLOCKED, UNKNOWN, PARTNER, PARTNER].map((account) =>
      connection({ account }),
    );
    world.ec2.add(...connections);
    // Too many connections for the sweep's one read of every service: it pages this one.
    world.ec2.onePageHolds = 0;
    let remaining = 1_000_000;
    const sweepDeps = {
      ...world.deps,
      ingestTopicArn: 'arn:aws:sns:us-east-1:000000000000:ingest',
      remainingMs: () => remaining,
      pageSize: 2,
    };
    // Act: the first run has time for one page only.
    const calls: number[] = [];
    const original = world.ec2.pageConnections.bind(world.ec2);
    world.ec2.pageConnections = async (serviceId, token, size) => {
      calls.push(1);
      const page = await original(serviceId, token, size);
      remaining = 10_000;
      return page;
    };
    const first = await sweep({}, sweepDeps);
    expect(first.continuedFrom).toEqual({ serviceId: SERVICE, nextToken: '2' });
    expect(world.events.sweepRequests).toEqual([
      { reason: 'continuation', cursor: { serviceId: SERVICE, nextToken: '2' } },
    ]);
    remaining = 1_000_000;
    world.ec2.pageConnections = original;
    const second = await sweep({ cursor: { serviceId: SERVICE, nextToken: '2' } }, sweepDeps);
    // Assess
    expect(second.continuedFrom).toBeUndefined();
    expect(world.ec2.enrolled).toEqual([SERVICE]);
    expect(connections.map((c) => world.ec2.state(c.endpointId))).toEqual([
      'available',
      'rejected',
      'pendingAcceptance',
      'available',
      'available',
    ]);
    expect(second.services[0]?.waiting).toBe(1);
    // A third sweep has nothing left to do; while another enrollment holds the service, it does not enroll.
    await world.ledger.acquireLease(SERVICE, 'ingest-invocation', NOW, 60_000);
    world.ec2.enrolled.length = 0;
    const entriesBefore = world.ledger.entries.length;
    const third = await sweep({}, sweepDeps);
    expect(world.ledger.entries.length).toBe(entriesBefore);
    expect(third.services[0]?.enrolled).toEqual([]);
    expect(world.ec2.enrolled).toEqual([]);
  });
});

describe('enrollment in a sweep', () => {
  it('reads once which services need no enrollment, and neither enrolls nor takes a lease for those', async () => {
    const world = setup();
    world.ec2.add(connection({ account: PARTNER }));
    const sweepDeps = {
      ...world.deps,
      ingestTopicArn: 'arn:aws:sns:us-east-1:000000000000:ingest',
      remainingMs: () => 1_000_000,
    };
    const leases: string[] = [];
    const acquire = world.ledger.acquireLease.bind(world.ledger);
    world.ledger.acquireLease = (key, holder, now, ms) => {
      // Enrollment's lease is the service's; deciding takes each endpoint's.
      if (key.startsWith('vpce-svc-')) leases.push(key);
      return acquire(key, holder, now, ms);
    };
    const first = await sweep({}, sweepDeps);
    expect(first.services[0]?.enrolled).toEqual(['connection notification']);
    expect(leases).toEqual([SERVICE]);
    const second = await sweep({}, sweepDeps);
    expect(second.services[0]?.enrolled).toEqual([]);
    expect(leases).toEqual([SERVICE]);
    expect(world.ec2.enrollmentReads).toEqual([[SERVICE], [SERVICE]]);
  });

  it("reads every service's connections at once when they fit, and pages none of them", async () => {
    const world = setup();
    const other = 'vpce-svc-0fedcba9876543210';
    world.ec2.add(connection({ account: PARTNER }), connection({ account: BLOCKED, serviceId: other }));
    let paged = 0;
    world.ec2.pageConnections = async () => {
      paged += 1;
      return { connections: [] };
    };
    const report = await sweep(
      {},
      {
        ...world.deps,
        ingestTopicArn: 'arn:aws:sns:us-east-1:000000000000:ingest',
        remainingMs: () => 1_000_000,
      },
    );
    expect(paged).toBe(0);
    expect(world.ec2.connectionReads).toEqual([[SERVICE, other].sort()]);
    expect(report.services.map((s) => [s.serviceId, s.connections])).toEqual(
      [
        [SERVICE, 1],
        [other, 1],
      ].sort(),
    );
    expect(
      world.ledger
        .outcomes()
        .map(([, outcome]) => outcome)
        .sort(),
    ).toEqual(['accepted', 'rejected']);
  });

  it('asks nothing when no service is managed', async () => {
    const world = setup();
    world.ec2.managed.clear();
    await sweep(
      {},
      {
        ...world.deps,
        ingestTopicArn: 'arn:aws:sns:us-east-1:000000000000:ingest',
        remainingMs: () => 1_000_000,
      },
    );
    expect(world.ec2.enrollmentReads).toEqual([]);
    expect(world.ec2.connectionReads).toEqual([]);
  });
});

describe('a long sweep', () => {
  it('reads the rules again for every page: a service switched to dry-run mid-sweep is not acted on', async () => {
    const world = setup();
    const first = connection({ account: PARTNER, createdAt: new Date('2026-11-20T10:00:00Z') });
    const second = connection({ account: PARTNER, createdAt: new Date('2026-11-20T11:00:00Z') });
    world.ec2.add(first, second);
    // A service the sweep's one read cannot hold whole: paged, a page at a time.
    world.ec2.onePageHolds = 0;
    const original = world.ec2.pageConnections.bind(world.ec2);
    world.ec2.pageConnections = async (serviceId, token) => {
      if (token) {
        world.store.ruleItems.push({ kind: 'service', id: SERVICE, mode: 'dry-run' });
        await world.store.bumpVersion();
      }
      return original(serviceId, token, 1);
    };
    await sweep(
      {},
      {
        ...world.deps,
        ingestTopicArn: 'arn:aws:sns:us-east-1:000000000000:ingest',
        remainingMs: () => 1_000_000,
      },
    );
    expect(world.ec2.state(first.endpointId)).toBe('available');
    expect(world.ec2.state(second.endpointId)).toBe('pendingAcceptance');
    expect(world.ledger.entries.map((e) => [e.outcome, e.dryRun])).toEqual([
      ['accepted', false],
      ['accepted', true],
    ]);
  });
});

describe('the rules cache', () => {
  it('reloads when the version moves, and at least every maxAgeMs when it does not', async () => {
    const store = new MemoryRulesStore(baseItems());
    let clock = 0;
    const cache = new RuleSetCache(store, { maxAgeMs: 1000, now: () => clock });
    await cache.current();
    await cache.current();
    expect(store.itemReads).toBe(1);
    clock = 1500;
    await cache.current();
    expect(store.itemReads).toBe(2);
    await store.bumpVersion();
    await cache.current();
    expect(store.itemReads).toBe(3);
  });
});

describe('nothing is lost when recording fails after an action (write ahead)', () => {
  it('a notice that failed to go out is sent when the endpoint is decided again, without a second action', async () => {
    const world = setup();
    const partner = connection({ account: PARTNER });
    world.ec2.add(partner);
    world.notifier.failPublishes = 1;
    const event = { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'notification' as const };
    await expect(decideConnectionEvent(event, world.deps)).rejects.toThrow('SNS unavailable');
    expect(world.ec2.state(partner.endpointId)).toBe('available');
    // The intent, written ahead, is final on the endpoint's state: accepted, with EC2's request id.
    expect(world.ledger.endpointStates.get(partner.endpointId)?.intent).toMatchObject({
      done: true,
      entry: { outcome: 'accepted', requestId: 'fake-accept-1' },
    });

    // The event is retried (or the sweep comes by): the intent is finished first.
    await decideConnectionEvent(event, world.deps);
    expect(world.ec2.calls).toHaveLength(1);
    expect(world.ledger.outcomes()).toEqual([[partner.endpointId, 'accepted']]);
    expect(world.notifier.notices.map((n) => n.kind === 'decision' && n.entry.outcome)).toEqual(['accepted']);
    // The event went out before the failed publish and again with the finish: at least once.
    expect(world.events.decisionEntries.map((e) => e.outcome)).toEqual(['accepted', 'accepted']);
    expect(world.ledger.endpointStates.get(partner.endpointId)?.intent).toBeUndefined();
  });

  it('a ledger outage after a reject is recorded by the next sweep, though the connection is no longer pending', async () => {
    const world = setup();
    const blocked = connection({ account: BLOCKED });
    world.ec2.add(blocked);
    world.ledger.failAppends = 1;
    await expect(
      decideConnectionEvent(
        { serviceId: SERVICE, endpointId: blocked.endpointId, trigger: 'notification' },
        world.deps,
      ),
    ).rejects.toThrow('ledger unavailable');
    expect(world.ec2.state(blocked.endpointId)).toBe('rejected');
    expect(world.ledger.entries).toEqual([]);

    await sweep(
      {},
      {
        ...world.deps,
        ingestTopicArn: 'arn:aws:sns:us-east-1:000000000000:ingest',
        remainingMs: () => 1_000_000,
      },
    );
    expect(world.ledger.outcomes()).toEqual([[blocked.endpointId, 'rejected']]);
    expect(world.notifier.notices).toHaveLength(1);
    expect(world.ec2.calls).toHaveLength(1);
  });

  it('a held notice that failed is not lost behind its once-flag', async () => {
    const world = setup();
    const stranger = connection({ account: UNKNOWN });
    world.ec2.add(stranger);
    world.notifier.failPublishes = 1;
    const event = { serviceId: SERVICE, endpointId: stranger.endpointId, trigger: 'notification' as const };
    await expect(decideConnectionEvent(event, world.deps)).rejects.toThrow('SNS unavailable');
    await decideConnectionEvent(event, world.deps);
    await decideConnectionEvent(event, world.deps);
    expect(world.notifier.notices.map((n) => n.kind === 'decision' && n.entry.outcome)).toEqual(['held']);
    expect(world.ledger.outcomes()).toEqual([[stranger.endpointId, 'held']]);
  });
});
