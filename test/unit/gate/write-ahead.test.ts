/**
 * Write ahead, fencing, limits under concurrency and notices at most once (issue 9,
 * defects 3, 5, 6 and the burst duplicates of 7), over the in-memory fakes.
 */
import { describe, expect, it } from 'vitest';
import { decideConnectionEvent } from '../../../functions/gate/decide-event.ts';
import type { DecideDeps } from '../../../functions/gate/decide-service.ts';
import { MARK_SENT_ATTEMPTS } from '../../../functions/gate/intents.ts';
import { DEFAULT_LEASE_MS } from '../../../functions/gate/lease-duration.ts';
import { LeaseLostError } from '../../../functions/gate/ports.ts';
import { RuleSetCache } from '../../../functions/gate/rules-cache.ts';
import { sweep } from '../../../functions/gate/sweep.ts';
import { BLOCKED, PARTNER } from '../../support/accounts.ts';
import { CrashError, mortal, Process } from '../../support/crash.ts';
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
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:ingest';

const rules = (extra: Record<string, unknown>[] = []): Record<string, unknown>[] => [
  { kind: 'defaults', id: 'defaults', defaultEffect: 'review', pendingTtl: 'P7D', onRevoke: 'notify' },
  { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: [PARTNER] } },
  { kind: 'rule', id: 'blocked', effect: 'reject', match: { accounts: [BLOCKED] } },
  ...extra,
];

function setup(items = rules()) {
  const ec2 = new FakeEndpointServices();
  ec2.managed.add(SERVICE);
  const ledger = new MemoryLedgerTable();
  const notifier = new RecordingNotifier();
  const events = new RecordingEvents();
  const store = new MemoryRulesStore(items);
  let clock = NOW;
  const deps = (holder: string): DecideDeps & { rules: RuleSetCache } => ({
    endpointServices: ec2,
    ledger,
    notifier,
    events,
    now: () => clock,
    holder,
    rules: new RuleSetCache(store),
    sleep: async () => {},
  });
  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  /** The same ports, in a process that dies right after `step`. */
  const dying = (holder: string, step: string) => {
    const process = new Process(step);
    return {
      ...deps(holder),
      endpointServices: mortal(ec2, 'endpointServices', process),
      ledger: mortal(ledger, 'ledger', process),
      notifier: mortal(notifier, 'notifier', process),
      events: mortal(events, 'events', process),
    };
  };
  const sweepDeps = (holder: string) => ({ ...deps(holder), ingestTopicArn: TOPIC, remainingMs: () => 1e9 });
  const noticesOf = (endpointId: string) =>
    notifier.notices.flatMap((n) =>
      n.kind === 'decision' && n.entry.endpointId === endpointId ? [n.entry] : [],
    );
  return { ec2, ledger, notifier, events, deps, dying, sweepDeps, advance, noticesOf };
}

const STEPS = [
  'ledger.writeIntent',
  'endpointServices.accept',
  'events.decisions',
  // The entry made final, appended and its notice claimed, in one write.
  'ledger.recordIntent',
  // The notice marked sent, the intent cleared and the lease released, in one write.
  'ledger.finishIntent',
];

describe('a decider that crashes after any step of an accept', () => {
  for (const step of STEPS) {
    for (const recovery of ['the next decide', 'the sweep'] as const) {
      it(`crash after ${step}, recovered by ${recovery}: one EC2 accept, one ledger entry, one notice`, async () => {
        // Prepare
        const w = setup();
        const partner = connection({ account: PARTNER });
        w.ec2.add(partner);
        const event = {
          serviceId: SERVICE,
          endpointId: partner.endpointId,
          trigger: 'notification' as const,
        };
        // Act: the process dies; its lease is never released and runs out.
        await expect(decideConnectionEvent(event, w.dying('crashed', step))).rejects.toThrow(CrashError);
        w.advance(DEFAULT_LEASE_MS + 1);
        if (recovery === 'the sweep') await sweep({}, w.sweepDeps('sweeper'));
        else await decideConnectionEvent(event, w.deps('retry'));
        // A later duplicate trigger changes nothing.
        await decideConnectionEvent(event, w.deps('late'));
        // Assess
        expect(w.ec2.calls.filter((c) => c.action === 'accept')).toHaveLength(1);
        expect(w.ec2.state(partner.endpointId)).toBe('available');
        expect(w.ledger.outcomes()).toEqual([[partner.endpointId, 'accepted']]);
        expect(w.noticesOf(partner.endpointId).map((e) => e.outcome)).toEqual(['accepted']);
        expect(new Set(w.events.decisionEntries.map((e) => `${e.endpointId}/${e.outcome}`))).toEqual(
          new Set([`${partner.endpointId}/accepted`]),
        );
        expect(w.ledger.endpointStates.get(partner.endpointId)?.intent).toBeUndefined();
        // The request id is known whenever the result was written before the crash.
        const [entry] = w.ledger.entries;
        if (step === 'endpointServices.accept') {
          expect(entry?.requestId).toBeUndefined();
          expect(entry?.reasons.at(-1)).toMatch(/recorded from EC2's state \(available\)/);
        } else if (step !== 'ledger.writeIntent' && step !== 'events.decisions') {
          expect(entry?.requestId).toBe('fake-accept-1');
        }
      });
    }
  }

  it('a decide invocation that dies leaves its request to the next decider within two minutes', async () => {
    // Prepare: decide as on Lambda, with its 60 s timeout; it dies after writing its intent.
    const w = setup();
    const partner = connection({ account: PARTNER });
    w.ec2.add(partner);
    const event = { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'notification' as const };
    const onLambda = { ...w.dying('crashed', 'ledger.writeIntent'), remainingMs: () => 60_000 };
    await expect(decideConnectionEvent(event, onLambda)).rejects.toThrow(CrashError);
    // Act: 74 s later its lease still holds; 76 s later (the queue gives the message back at 91 s) it does not.
    w.advance(74_000);
    await decideConnectionEvent(event, w.deps('too-early'));
    const early = w.ec2.state(partner.endpointId);
    w.advance(2_000);
    await decideConnectionEvent(event, w.deps('redelivered'));
    // Assess
    expect(early).toBe('pendingAcceptance');
    expect(w.ec2.state(partner.endpointId)).toBe('available');
    expect(w.ledger.outcomes()).toEqual([[partner.endpointId, 'accepted']]);
  });

  it('a crash between the publish and its mark sends the notice again: at least once, never lost', async () => {
    const w = setup();
    const partner = connection({ account: PARTNER });
    w.ec2.add(partner);
    const event = { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'notification' as const };
    await expect(decideConnectionEvent(event, w.dying('crashed', 'notifier.publish'))).rejects.toThrow(
      CrashError,
    );
    w.advance(DEFAULT_LEASE_MS + 1);
    await decideConnectionEvent(event, w.deps('retry'));
    await decideConnectionEvent(event, w.deps('late'));
    expect(w.ec2.calls).toHaveLength(1);
    expect(w.ledger.outcomes()).toEqual([[partner.endpointId, 'accepted']]);
    // The one window that cannot be closed over a standard SNS topic: the same notice twice.
    expect(w.noticesOf(partner.endpointId).map((e) => e.outcome)).toEqual(['accepted', 'accepted']);
  });

  it('a failing write that marks the notice sent is tried again, so the notice goes out once', async () => {
    // Prepare: after the publish, DynamoDB refuses the mark twice (throttled), then takes it.
    const w = setup();
    const partner = connection({ account: PARTNER });
    w.ec2.add(partner);
    let refusals = 2;
    const finishIntent = w.ledger.finishIntent.bind(w.ledger);
    w.ledger.finishIntent = async (...args) => {
      if (refusals-- > 0)
        throw new Error('ThrottlingException: Rate of requests exceeds the allowed throughput');
      return finishIntent(...args);
    };
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    const event = { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'notification' as const };
    // Act
    await decideConnectionEvent(event, { ...w.deps('decider'), sleep });
    w.advance(DEFAULT_LEASE_MS + 1);
    await sweep({}, w.sweepDeps('sweeper'));
    // Assess: one notice, the intent cleared, and a growing wait between the attempts.
    expect(w.noticesOf(partner.endpointId).map((e) => e.outcome)).toEqual(['accepted']);
    expect(w.ledger.endpointStates.get(partner.endpointId)?.intent).toBeUndefined();
    expect(waits).toEqual([200, 400]);
  });

  it(`a mark that fails ${MARK_SENT_ATTEMPTS} times gives up: the next holder sends the notice again, never loses it`, async () => {
    const w = setup();
    const partner = connection({ account: PARTNER });
    w.ec2.add(partner);
    const finishIntent = w.ledger.finishIntent.bind(w.ledger);
    let failing = true;
    w.ledger.finishIntent = async (...args) => {
      if (failing) throw new Error('InternalServerError');
      return finishIntent(...args);
    };
    const event = { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'notification' as const };
    await expect(
      decideConnectionEvent(event, { ...w.deps('decider'), sleep: async () => {} }),
    ).rejects.toThrow('InternalServerError');
    failing = false;
    w.advance(DEFAULT_LEASE_MS + 1);
    await sweep({}, w.sweepDeps('sweeper'));
    expect(w.ledger.outcomes()).toEqual([[partner.endpointId, 'accepted']]);
    expect(w.noticesOf(partner.endpointId).map((e) => e.outcome)).toEqual(['accepted', 'accepted']);
  });

  for (const step of ['ledger.writeIntent', 'events.decisions', 'ledger.recordIntent', 'notifier.publish']) {
    it(`a held notice whose decider crashed after ${step} is recorded once, never lost behind its once-flag`, async () => {
      const w = setup();
      const stranger = connection({ account: UNKNOWN });
      w.ec2.add(stranger);
      const event = { serviceId: SERVICE, endpointId: stranger.endpointId, trigger: 'notification' as const };
      await expect(decideConnectionEvent(event, w.dying('crashed', step))).rejects.toThrow(CrashError);
      w.advance(DEFAULT_LEASE_MS + 1);
      await sweep({}, w.sweepDeps('sweeper'));
      await decideConnectionEvent(event, w.deps('late'));
      expect(w.ledger.outcomes()).toEqual([[stranger.endpointId, 'held']]);
      expect(w.noticesOf(stranger.endpointId).length).toBeGreaterThanOrEqual(1);
      if (step !== 'notifier.publish') expect(w.noticesOf(stranger.endpointId)).toHaveLength(1);
    });
  }

  for (const [account, action, state, outcome] of [
    [BLOCKED, 'reject', 'rejected', 'rejected'],
    [PARTNER, 'accept', 'available', 'accepted'],
  ] as const) {
    it(`an ${action} whose answer was lost and whose retry EC2 refused (already ${state}) is recorded once as ${outcome}`, async () => {
      // Prepare: the first attempt of the call took effect, its answer was lost on the way
      // (a reset), and the SDK's retry finds the connection already ${state}.
      const w = setup();
      const request = connection({ account });
      w.ec2.add(request);
      w.ec2.beforeAction = (_action, ids) => {
        for (const id of ids) {
          const c = w.ec2.connections.get(id);
          if (c) c.state = state;
        }
      };
      const event = { serviceId: SERVICE, endpointId: request.endpointId, trigger: 'notification' as const };
      // Act
      await decideConnectionEvent(event, w.deps('decider'));
      await sweep({}, w.sweepDeps('sweeper'));
      // Assess: the action is recorded, not mistaken for someone else's change.
      expect(w.ledger.outcomes()).toEqual([[request.endpointId, outcome]]);
      expect(w.ledger.entries[0]?.reasons.at(-1)).toMatch(
        `yet shows the connection ${state}: recorded as done`,
      );
      expect(w.noticesOf(request.endpointId).map((e) => e.outcome)).toEqual([outcome]);
    });
  }

  it('an intent whose accept never happened is decided again on the state EC2 has now', async () => {
    // Prepare: the decider dies after writing its intent; before anyone recovers, the rules
    // change and the account is now blocked.
    const w = setup();
    const partner = connection({ account: PARTNER });
    w.ec2.add(partner);
    const event = { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'notification' as const };
    await expect(decideConnectionEvent(event, w.dying('crashed', 'ledger.writeIntent'))).rejects.toThrow(
      CrashError,
    );
    w.advance(DEFAULT_LEASE_MS + 1);
    const blocking = setup(
      rules([{ kind: 'rule', id: 'now-blocked', effect: 'reject', match: { accounts: [PARTNER] } }]),
    );
    // Act: recovery with the new rules, over the same EC2 and ledger.
    await decideConnectionEvent(event, { ...w.deps('retry'), rules: blocking.deps('x').rules });
    // Assess: the old intent is dropped, the new decision is the only record.
    expect(w.ec2.calls.map((c) => c.action)).toEqual(['reject']);
    expect(w.ledger.outcomes()).toEqual([[partner.endpointId, 'rejected']]);
    expect(w.noticesOf(partner.endpointId)).toHaveLength(1);
  });
});

describe('fenced leases', () => {
  it('a decider whose lease ran out during its EC2 call records nothing as holder; the new holder records once', async () => {
    // Prepare: the accept call takes longer than the lease; meanwhile another decider takes over.
    const w = setup();
    const partner = connection({ account: PARTNER });
    w.ec2.add(partner);
    const event = { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'notification' as const };
    const slow = { ...w.deps('slow') };
    slow.endpointServices = Object.assign(Object.create(w.ec2), {
      accept: async (serviceId: string, ids: string[]) => {
        const result = await w.ec2.accept(serviceId, ids);
        w.advance(DEFAULT_LEASE_MS + 1);
        await decideConnectionEvent(event, w.deps('takeover'));
        return result;
      },
    });
    // Act
    await expect(decideConnectionEvent(event, slow)).rejects.toThrow(LeaseLostError);
    // Assess: the takeover found the unfinished intent and recorded it from EC2's state.
    expect(w.ec2.calls).toHaveLength(1);
    expect(w.ledger.outcomes()).toEqual([[partner.endpointId, 'accepted']]);
    expect(w.noticesOf(partner.endpointId)).toHaveLength(1);
    const state = w.ledger.endpointStates.get(partner.endpointId);
    expect(state?.intent).toBeUndefined();
    expect(state?.lease).toBeUndefined();
  });

  it('a decider whose lease ran out before its EC2 call does not act', async () => {
    // Prepare: the re-read under the lease is slow; the lease runs out meanwhile.
    const w = setup();
    const partner = connection({ account: PARTNER });
    w.ec2.add(partner);
    const slow = { ...w.deps('slow') };
    slow.endpointServices = Object.assign(Object.create(w.ec2), {
      describeConnections: async (...args: Parameters<FakeEndpointServices['describeConnections']>) => {
        const found = await w.ec2.describeConnections(...args);
        w.advance(DEFAULT_LEASE_MS + 1);
        return found;
      },
    });
    // Act
    await decideConnectionEvent(
      { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'sweep' },
      slow,
    );
    // Assess: no intent was written, so nothing was done and nothing recorded.
    expect(w.ec2.calls).toEqual([]);
    expect(w.ledger.entries).toEqual([]);
    expect(w.ledger.endpointStates.get(partner.endpointId)?.intent).toBeUndefined();
  });

  it('every grant of a lease has a larger token, and a stale token can neither complete, clear nor release', async () => {
    const ledger = new MemoryLedgerTable();
    const id = 'vpce-0000000000000000a';
    const first = await ledger.acquireLease(id, 'a', NOW, 1000);
    const second = await ledger.acquireLease(id, 'b', new Date(NOW.getTime() + 1001), 1000);
    expect(first && second && second.token > first.token).toBe(true);
    if (!first || !second) return;
    await ledger.releaseLease(first);
    expect(ledger.endpointStates.get(id)?.lease?.token).toBe(second.token);
    await expect(ledger.clearIntent(first, 'i1')).rejects.toThrow(LeaseLostError);
  });
});

describe('limits under concurrent deciders', () => {
  it('two deciders at once for one account with limit 1: exactly one accepted, the other held', async () => {
    // Prepare
    const w = setup(
      rules([
        {
          kind: 'rule',
          id: 'one-each',
          effect: 'accept',
          match: { accounts: ['444444444444'] },
          limits: { maxEndpointsPerAccount: 1 },
        },
      ]),
    );
    const requests = Array.from({ length: 4 }, (_, i) =>
      connection({ account: '444444444444', createdAt: new Date(NOW.getTime() - 3_600_000 + i) }),
    );
    w.ec2.add(...requests);
    // Act: every request decided at once, by its own decider, twice over.
    await Promise.all(
      [...requests, ...requests].map((c, i) =>
        decideConnectionEvent(
          { serviceId: SERVICE, endpointId: c.endpointId, trigger: 'notification' },
          w.deps(`decider-${i}`),
        ),
      ),
    );
    await sweep({}, w.sweepDeps('sweeper'));
    // Assess
    const accepted = requests.filter((c) => w.ec2.state(c.endpointId) === 'available');
    expect(accepted).toHaveLength(1);
    expect(w.ledger.outcomes().filter(([, o]) => o === 'accepted')).toHaveLength(1);
    expect(w.ledger.outcomes().filter(([, o]) => o === 'held')).toHaveLength(3);
  });
});

describe('notices under a burst', () => {
  it('many deciders and sweeps at once on the same endpoints: at most one notice per (endpoint, outcome)', async () => {
    // Prepare
    const w = setup();
    const cast = Array.from({ length: 30 }, (_, i) =>
      connection({ account: [PARTNER, BLOCKED, UNKNOWN][i % 3] ?? UNKNOWN }),
    );
    w.ec2.add(...cast);
    // Act: 10 events per endpoint and 3 sweeps, all at once, each its own invocation.
    const work: Promise<unknown>[] = [];
    for (let round = 0; round < 10; round += 1) {
      for (const c of cast) {
        work.push(
          decideConnectionEvent(
            { serviceId: SERVICE, endpointId: c.endpointId, trigger: 'notification' },
            w.deps(`event-${round}-${c.endpointId}`),
          ),
        );
      }
      if (round % 4 === 0) work.push(sweep({}, w.sweepDeps(`sweep-${round}`)));
    }
    await Promise.all(work);
    await sweep({}, w.sweepDeps('final-sweep'));
    // Assess: every endpoint decided, each announced exactly once.
    const counts = new Map<string, number>();
    for (const n of w.notifier.notices) {
      if (n.kind !== 'decision') continue;
      const key = `${n.entry.endpointId}/${n.entry.outcome}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(counts.size).toBe(30);
    expect(w.ledger.entries).toHaveLength(30);
    expect(w.ec2.calls.flatMap((c) => c.endpointIds)).toHaveLength(20);
  });
});

describe('who and why', () => {
  it("an operator's run writes actor, reason and EC2's request id on its entries", async () => {
    const w = setup();
    const partner = connection({ account: PARTNER });
    const stranger = connection({ account: UNKNOWN });
    w.ec2.add(partner, stranger);
    const operator = {
      ...w.deps('plgate-cli-1'),
      actor: 'arn:aws:iam::000000000000:user/alice',
      reason: 'NET-123',
    };
    await decideConnectionEvent({ serviceId: SERVICE, trigger: 'manual' }, operator);
    expect(w.ledger.entries.map((e) => [e.outcome, e.actor, e.reason, e.requestId])).toEqual([
      ['accepted', 'arn:aws:iam::000000000000:user/alice', 'NET-123', 'fake-accept-1'],
      ['held', 'arn:aws:iam::000000000000:user/alice', 'NET-123', undefined],
    ]);
  });
});

describe('consumer deletions', () => {
  it('a deleted connection the gate knew is recorded once as deleted, however often it is seen', async () => {
    const w = setup();
    const stranger = connection({ account: UNKNOWN });
    const unseen = connection({ account: UNKNOWN, state: 'deleted' });
    w.ec2.add(stranger);
    const event = { serviceId: SERVICE, endpointId: stranger.endpointId, trigger: 'notification' as const };
    await decideConnectionEvent(event, w.deps('connect'));
    const known = w.ec2.connections.get(stranger.endpointId);
    if (known) known.state = 'deleted';
    w.ec2.add(unseen);
    // The Delete notification, twice, and a sweep that lists the deleted connections.
    await decideConnectionEvent(event, w.deps('delete-1'));
    await decideConnectionEvent(event, w.deps('delete-2'));
    await sweep({}, w.sweepDeps('sweeper'));
    expect(w.ledger.outcomes()).toEqual([
      [stranger.endpointId, 'held'],
      [stranger.endpointId, 'deleted'],
    ]);
    expect(w.noticesOf(stranger.endpointId).map((e) => e.outcome)).toEqual(['held', 'deleted']);
    expect(w.noticesOf(unseen.endpointId)).toEqual([]);
  });

  it('an endpoint EC2 no longer shows at all is recorded once as deleted, from its last entry', async () => {
    const w = setup();
    const partner = connection({ account: PARTNER });
    w.ec2.add(partner);
    const event = { serviceId: SERVICE, endpointId: partner.endpointId, trigger: 'notification' as const };
    await decideConnectionEvent(event, w.deps('connect'));
    w.ec2.connections.delete(partner.endpointId);
    const first = await decideConnectionEvent(event, w.deps('delete-1'));
    const again = await decideConnectionEvent(event, w.deps('delete-2'));
    expect(first.status).toBe('decided');
    expect(again.status).toBe('no-connection');
    expect(w.ledger.outcomes()).toEqual([
      [partner.endpointId, 'accepted'],
      [partner.endpointId, 'deleted'],
    ]);
    expect(w.ledger.entries[1]).toMatchObject({ account: PARTNER, action: 'none', state: 'deleted' });
    expect(w.noticesOf(partner.endpointId).map((e) => e.outcome)).toEqual(['accepted', 'deleted']);
  });
});
