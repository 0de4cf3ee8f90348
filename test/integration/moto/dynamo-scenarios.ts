/**
 * The DynamoDB adapters' scenarios, run against every DynamoDB we did not write
 * ourselves (moto, dynalite): the tables as functions/shared/tables.ts describes them.
 * The ledger's scenarios also run against the in-memory fakes the gate's unit tests use
 * (test/unit/gate/memory-stores.test.ts), so the fakes cannot drift from the real stores.
 */
import { CreateTableCommand, type DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoEndpointStates } from '../../../functions/aws/endpoint-states.ts';
import { DynamoLedger } from '../../../functions/aws/ledger.ts';
import { DynamoRulesStore } from '../../../functions/aws/rules-store.ts';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-items.ts';
import { decideService } from '../../../functions/gate/decide-service.ts';
import { DEFAULT_LEASE_MS } from '../../../functions/gate/lease-duration.ts';
import { ledgerTable } from '../../../functions/gate/ledger-table.ts';
import {
  type EndpointStates,
  type Lease,
  LeaseLostError,
  type Ledger,
  type LedgerEntry,
} from '../../../functions/gate/ports.ts';
import {
  LEDGER_BY_ACCOUNT_INDEX,
  LEDGER_BY_SERVICE_INDEX,
  LEDGER_TABLE_KEY,
  LEDGER_TTL_ATTRIBUTE,
  RULES_TABLE_KEY,
} from '../../../functions/shared/tables.ts';
import { CrashError, mortal, Process } from '../../support/crash.ts';
import {
  connection,
  FakeEndpointServices,
  RecordingEvents,
  RecordingNotifier,
} from '../../support/gate-fakes.ts';

export interface DynamoTarget {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  rulesTable: string;
  ledgerTable: string;
}

export async function createGateTables(
  client: DynamoDBClient,
  names: { rulesTable: string; ledgerTable: string },
  options: { ttl: boolean },
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: names.rulesTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: RULES_TABLE_KEY.partitionKey, AttributeType: 'S' },
        { AttributeName: RULES_TABLE_KEY.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: RULES_TABLE_KEY.partitionKey, KeyType: 'HASH' },
        { AttributeName: RULES_TABLE_KEY.sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
  const index = (spec: { name: string; partitionKey: string; sortKey: string }) => ({
    IndexName: spec.name,
    KeySchema: [
      { AttributeName: spec.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: spec.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  await client.send(
    new CreateTableCommand({
      TableName: names.ledgerTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: LEDGER_TABLE_KEY.partitionKey, AttributeType: 'S' },
        { AttributeName: LEDGER_TABLE_KEY.sortKey, AttributeType: 'S' },
        { AttributeName: LEDGER_BY_SERVICE_INDEX.partitionKey, AttributeType: 'S' },
        { AttributeName: LEDGER_BY_ACCOUNT_INDEX.partitionKey, AttributeType: 'S' },
        { AttributeName: LEDGER_BY_SERVICE_INDEX.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: LEDGER_TABLE_KEY.partitionKey, KeyType: 'HASH' },
        { AttributeName: LEDGER_TABLE_KEY.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [index(LEDGER_BY_SERVICE_INDEX), index(LEDGER_BY_ACCOUNT_INDEX)],
    }),
  );
  if (options.ttl) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: names.ledgerTable,
        TimeToLiveSpecification: { AttributeName: LEDGER_TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  }
}

const S1 = 'vpce-svc-0000000000000000a';
const S2 = 'vpce-svc-0000000000000000b';
const X = '111111111111';
const Y = '222222222222';
const endpoint = (n: number): string => `vpce-${n.toString(16).padStart(17, '0')}`;
const at = (minute: number): string => new Date(Date.UTC(2026, 2, 1, 10, minute)).toISOString();

function entry(endpointId: string, serviceId: string, account: string, time: string): LedgerEntry {
  return {
    at: time,
    endpointId,
    serviceId,
    account,
    trigger: 'notification',
    decision: 'accept',
    rule: 'r1',
    matched: ['r1'],
    reasons: ['matched r1'],
    action: 'accept',
    outcome: 'accepted',
    dryRun: false,
    rulesVersion: 1,
    state: 'pendingAcceptance',
  };
}

/** The steps recordIntent and finishIntent fall back to: private to each store, driven one by one here. */
export interface IntentSteps {
  completeIntent(lease: Lease, intentId: string, entry: LedgerEntry): Promise<void>;
  claimNotice(
    lease: Lease,
    intentId: string,
    noticeFlag: string,
    now: Date,
    leaseMs: number,
  ): Promise<boolean>;
  markNoticeSent(endpointId: string, noticeFlag: string, now: Date): Promise<void>;
}

/** A fresh pair of stores over one table (or one memory), with the private steps of its state store. */
export interface LedgerStores {
  ledger: Ledger;
  endpointStates: EndpointStates;
  steps: IntentSteps;
}

function dynamoStores(target: DynamoTarget): LedgerStores {
  const ledger = new DynamoLedger(target.doc, target.ledgerTable, { retentionDays: 30 });
  const endpointStates = new DynamoEndpointStates(target.doc, target.ledgerTable, { ledger });
  return {
    ledger,
    endpointStates,
    steps: {
      // biome-ignore lint/complexity/useLiteralKeys: private to the store; only these scenarios drive it alone
      completeIntent: endpointStates['completeIntent'].bind(endpointStates),
      // biome-ignore lint/complexity/useLiteralKeys: as above
      claimNotice: endpointStates['claimNotice'].bind(endpointStates),
      // biome-ignore lint/complexity/useLiteralKeys: as above
      markNoticeSent: endpointStates['markNoticeSent'].bind(endpointStates),
    },
  };
}

/** Registers the scenarios; `target()` is read inside the tests, after beforeAll set it up. */
export function dynamoScenarios(target: () => DynamoTarget): void {
  const rules = () => new DynamoRulesStore(target().doc, target().rulesTable);

  describe('rules store', () => {
    it('versions: 0 when never set, conditional bump from 0 once, then plain bumps', async () => {
      const store = rules();
      expect(await store.version()).toBe(0);
      expect(await store.conditionalBumpVersion(0)).toBe(true);
      expect(await store.conditionalBumpVersion(0)).toBe(false);
      expect(await store.version()).toBe(1);
      expect(await store.bumpVersion()).toBe(2);
      expect(await store.conditionalBumpVersion(1)).toBe(false);
      expect(await store.conditionalBumpVersion(2)).toBe(true);
      expect(await store.version()).toBe(3);
    });

    it('puts and deletes items in batches; items() reads them all back with the version item', async () => {
      const store = rules();
      const items = Array.from({ length: 60 }, (_, i) => ({
        kind: 'rule',
        id: `rule-${String(i).padStart(2, '0')}`,
        effect: i % 2 === 0 ? 'accept' : 'reject',
        match: { accounts: [X] },
        meta: { ticket: `NET-${i}` },
      }));
      await store.putItems([...items, { kind: 'defaults', id: 'defaults', defaultEffect: 'review' }]);
      const read = await store.items();
      expect(read.filter((i) => i.kind === 'rule')).toHaveLength(60);
      expect(read.find((i) => i.id === 'rule-07')).toEqual(items[7]);
      expect(read.some((i) => i.kind === 'meta' && i.id === 'version')).toBe(true);
      await store.deleteItems(items.slice(0, 45).map(({ kind, id }) => ({ kind, id })));
      const after = await store.items();
      expect(after.filter((i) => i.kind === 'rule').map((i) => i.id)).toEqual(
        items.slice(45).map((i) => i.id),
      );
    });

    it('deleteItemIfPresent: of racing deletes of one item, exactly one removes it', async () => {
      const store = rules();
      await store.putItems([{ kind: 'denial', id: 'vpce-0race0000000000001', actor: 'a' }]);
      const removed = await Promise.all(
        Array.from({ length: 4 }, () =>
          store.deleteItemIfPresent({ kind: 'denial', id: 'vpce-0race0000000000001' }),
        ),
      );
      expect(removed.filter(Boolean)).toHaveLength(1);
      expect(await store.deleteItemIfPresent({ kind: 'denial', id: 'vpce-0race0000000000001' })).toBe(false);
    });
  });

  ledgerScenarios(() => dynamoStores(target()));

  // After the scenarios: its entry (account Y) must not show in their histories.
  describe('ledger items', () => {
    it('sets expiresAt (epoch seconds) retentionDays after the entry', async () => {
      const l = dynamoStores(target()).ledger;
      await l.append(entry(endpoint(9), S2, Y, at(0)));
      // Read the raw item: the TTL attribute is not part of a LedgerEntry.
      const history = await target().doc.send(
        new QueryCommand({
          TableName: target().ledgerTable,
          KeyConditionExpression: 'endpointId = :e',
          ExpressionAttributeValues: { ':e': endpoint(9) },
        }),
      );
      expect(history.Items).toHaveLength(1);
      expect(history.Items?.[0]?.[LEDGER_TTL_ATTRIBUTE]).toBe(Date.parse(at(0)) / 1000 + 30 * 86_400);
    });
  });
}

/** The ledger's and the endpoint states' scenarios, over any pair of stores that claims to behave like DynamoDB. */
export function ledgerScenarios(stores: () => LedgerStores): void {
  // One object with every method the scenarios call: both ports as decide-service takes them, and the steps.
  const ledger = () => {
    const { ledger, endpointStates, steps } = stores();
    return { ...ledgerTable(ledger, endpointStates), ...steps };
  };

  describe('ledger', () => {
    it('an intent is written only under the current lease, made final, fenced by the token, and cleared', async () => {
      const l = ledger();
      const id = endpoint(90);
      const now = new Date(at(90));
      const e = entry(id, 'vpce-svc-0aaaaaaaaaaaaaaa0', '999999999999', at(90));
      const lease = await l.acquireLease(id, 'h1', now, 60_000);
      if (!lease) throw new Error('no lease');
      const intent = { id: `i${lease.token}`, token: lease.token, entry: e, done: false };
      expect(await l.writeIntent(lease, intent, now, 120_000)).toBe(true);
      // A second intent while one is unfinished is refused.
      expect(await l.writeIntent(lease, { ...intent, id: 'other' }, now, 120_000)).toBe(false);
      let state = (await l.states([id])).get(id);
      expect(state?.intent).toEqual(intent);
      expect(state?.lease?.until).toBe(new Date(now.getTime() + 120_000).toISOString());
      const final = { ...e, requestId: 'req-ec2-1' };
      await l.completeIntent(lease, intent.id, final);
      expect((await l.states([id])).get(id)?.intent).toEqual({ ...intent, entry: final, done: true });
      expect(await l.claimNotice(lease, intent.id, 'notice:accepted', now, 120_000)).toBe(true);
      await l.markNoticeSent(id, 'notice:accepted', now);
      // The notice of that outcome went out: a second claim says so.
      expect(await l.claimNotice(lease, intent.id, 'notice:accepted', now, 120_000)).toBe(false);
      await l.append(final);
      await l.append(final);
      expect(await l.history({ endpointId: id })).toEqual([final]);

      // Another holder takes over after the lease ran out: the old token is fenced off.
      const later = new Date(now.getTime() + 120_001);
      const takeover = await l.acquireLease(id, 'h2', later, 60_000);
      expect(takeover?.token).toBe(lease.token + 1);
      await expect(l.completeIntent(lease, intent.id, final)).rejects.toThrow(LeaseLostError);
      await expect(l.clearIntent(lease, intent.id)).rejects.toThrow(LeaseLostError);
      await expect(l.claimNotice(lease, intent.id, 'notice:other', later, 1000)).rejects.toThrow(
        LeaseLostError,
      );
      expect(await l.writeIntent(lease, { ...intent, id: 'late' }, later, 1000)).toBe(false);
      expect(await l.renewLease(lease, later, 1000)).toBe(false);
      if (!takeover) return;
      await l.clearIntent(takeover, intent.id);
      await l.releaseLease(takeover, 'accepted');
      state = (await l.states([id])).get(id);
      expect(state).toEqual({
        endpointId: id,
        flags: { 'notice:accepted': at(90) },
        lastOutcome: 'accepted',
      });
    });

    it('records an intent in one transaction, finishes it and releases its lease in one write', async () => {
      const l = ledger();
      const id = endpoint(92);
      const now = new Date(at(92));
      const e = entry(id, 'vpce-svc-0aaaaaaaaaaaaaaa0', '999999999999', at(92));
      const lease = await l.acquireLease(id, 'h1', now, 60_000);
      if (!lease) throw new Error('no lease');
      // The lease write brings the endpoint's state back: no read under the lease.
      expect(lease.state).toEqual({
        endpointId: id,
        flags: {},
        lease: { holder: 'h1', until: lease.until, token: lease.token },
      });
      const intent = { id: `i${lease.token}`, token: lease.token, entry: e, done: false };
      expect(await l.writeIntent(lease, intent, now, 120_000)).toBe(true);
      const final = { ...e, requestId: 'req-ec2-2' };
      expect(await l.recordIntent(lease, { ...intent, entry: final }, 'notice:accepted', now, 120_000)).toBe(
        true,
      );
      expect(await l.history({ endpointId: id })).toEqual([final]);
      expect((await l.states([id])).get(id)?.intent).toEqual({
        ...intent,
        entry: final,
        done: true,
        noticeClaim: lease.token,
      });
      // Recording it again (a holder finishing after a crash) stores the entry once.
      expect(await l.recordIntent(lease, { ...intent, entry: final }, 'notice:accepted', now, 120_000)).toBe(
        true,
      );
      expect(await l.history({ endpointId: id })).toEqual([final]);

      await l.finishIntent(lease, intent.id, {
        now,
        noticeSent: 'notice:accepted',
        release: { outcome: 'accepted' },
      });
      expect((await l.states([id])).get(id)).toEqual({
        endpointId: id,
        flags: { 'notice:accepted': at(92) },
        lastOutcome: 'accepted',
      });

      // The notice went out: the next intent of that outcome is recorded, its notice not claimed.
      const next = await l.acquireLease(id, 'h2', now, 60_000);
      if (!next) throw new Error('no lease');
      expect(next.state?.flags).toEqual({ 'notice:accepted': at(92) });
      const again = { id: `i${next.token}`, token: next.token, entry: { ...final, at: at(93) }, done: true };
      expect(await l.writeIntent(next, again, now, 60_000)).toBe(true);
      expect(await l.recordIntent(next, again, 'notice:accepted', now, 60_000)).toBe(false);
      expect((await l.history({ endpointId: id })).map((h) => h.at)).toEqual([at(93), at(92)]);

      // A lost lease: nothing recorded, and finishing marks the notice sent but says the lease is gone.
      const later = new Date(now.getTime() + 60_001);
      const takeover = await l.acquireLease(id, 'h3', later, 60_000);
      expect(takeover?.token).toBe(next.token + 1);
      const stale = { ...again, entry: { ...final, at: at(94) } };
      await expect(l.recordIntent(next, stale, 'notice:rejected', later, 60_000)).rejects.toThrow(
        LeaseLostError,
      );
      expect(await l.history({ endpointId: id })).toHaveLength(2);
      await expect(
        l.finishIntent(next, again.id, {
          now: later,
          noticeSent: 'notice:rejected',
          release: { outcome: 'rejected' },
        }),
      ).rejects.toThrow(LeaseLostError);
      const state = (await l.states([id])).get(id);
      expect(state?.flags['notice:rejected']).toBe(later.toISOString());
      expect(state?.lease?.holder).toBe('h3');
    });

    it('edges of the conditions: a lease is held to its last instant, a sent notice answers even a lost lease, another intent is not cleared', async () => {
      const l = ledger();
      const id = endpoint(93);
      const now = new Date(at(93));
      const e = entry(id, S1, X, at(93));
      const lease = await l.acquireLease(id, 'h1', now, 60_000);
      if (!lease) throw new Error('no lease');
      // At the instant the lease runs out it is still held (`leaseUntil < now` frees it).
      expect(await l.acquireLease(id, 'h2', new Date(now.getTime() + 60_000), 60_000)).toBeUndefined();
      const intent = { id: 'i1', token: lease.token, entry: e, done: false };
      expect(await l.writeIntent(lease, intent, now, 60_000)).toBe(true);
      // Clearing or finishing an intent other than the one written is refused as a lost lease.
      await expect(l.clearIntent(lease, 'other')).rejects.toThrow(LeaseLostError);
      await expect(l.finishIntent(lease, 'other', { now, noticeSent: 'notice:held' })).rejects.toThrow(
        LeaseLostError,
      );
      expect((await l.states([id])).get(id)?.intent?.id).toBe('i1');
      expect((await l.states([id])).get(id)?.flags['notice:held']).toBe(at(93));
      // A notice of that outcome went out: the claim says so even under a lease since lost.
      await l.markNoticeSent(id, 'notice:accepted', now);
      const later = new Date(now.getTime() + 60_001);
      expect(await l.acquireLease(id, 'h2', later, 60_000)).toBeDefined();
      expect(await l.claimNotice(lease, 'i1', 'notice:accepted', later, 60_000)).toBe(false);
      await expect(l.claimNotice(lease, 'i1', 'notice:rejected', later, 60_000)).rejects.toThrow(
        LeaseLostError,
      );
    });

    it('an intent with a once-flag sets it in the same write, and is refused when the flag is set', async () => {
      const l = ledger();
      const id = endpoint(91);
      const now = new Date(at(91));
      const e = { ...entry(id, S1, X, at(91)), action: 'none' as const, outcome: 'held' as const };
      const lease = await l.acquireLease(id, 'h1', now, 60_000);
      if (!lease) throw new Error('no lease');
      const intent = { id: 'i1', token: lease.token, entry: e, done: true, onceFlag: 'held' };
      expect(await l.writeIntent(lease, intent, now, 60_000)).toBe(true);
      expect((await l.states([id])).get(id)?.flags).toEqual({ held: at(91) });
      await l.clearIntent(lease, 'i1');
      expect(await l.writeIntent(lease, { ...intent, id: 'i2' }, now, 60_000)).toBe(false);
    });

    it('history by endpoint, service and account: newest first, since and limit, entries only', async () => {
      const l = ledger();
      await l.append(entry(endpoint(1), S1, X, at(1)));
      await l.append(entry(endpoint(1), S1, X, at(3)));
      await l.append(entry(endpoint(1), S1, X, at(5)));
      await l.append(entry(endpoint(2), S1, Y, at(4)));
      await l.append(entry(endpoint(3), S2, X, at(6)));
      // A state item and a rule problem must stay out of every history.
      await l.setFlagOnce(endpoint(1), 'held', new Date(at(7)));
      await l.appendRuleProblem({
        at: at(8),
        item: { kind: 'rule', id: 'bad' },
        problems: [{ path: 'effect', message: 'x' }],
      });

      const times = (entries: LedgerEntry[]) =>
        entries.map((e) => `${e.endpointId.slice(-1)}@${e.at.slice(14, 16)}`);
      expect(times(await l.history({ endpointId: endpoint(1) }))).toEqual(['1@05', '1@03', '1@01']);
      expect(times(await l.history({ endpointId: endpoint(1), since: new Date(at(3)) }))).toEqual([
        '1@05',
        '1@03',
      ]);
      expect(times(await l.history({ serviceId: S1 }))).toEqual(['1@05', '2@04', '1@03', '1@01']);
      expect(times(await l.history({ serviceId: S1, since: new Date(at(4)) }))).toEqual(['1@05', '2@04']);
      expect(times(await l.history({ account: X, limit: 2 }))).toEqual(['3@06', '1@05']);
      expect(times(await l.history({ account: Y }))).toEqual(['2@04']);
      expect(await l.history({ endpointId: endpoint(1), since: new Date(at(9)) })).toEqual([]);

      const [newest] = await l.history({ endpointId: endpoint(1), limit: 1 });
      expect(newest).toEqual(entry(endpoint(1), S1, X, at(5)));
    });

    it('leases: one holder at a time, re-entrant, taken over once expired, released only under its token', async () => {
      const l = ledger();
      const id = endpoint(20);
      const now = new Date(at(0));
      const first = await l.acquireLease(id, 'h1', now, 60_000);
      expect(first?.token).toBe(1);
      expect(await l.acquireLease(id, 'h2', now, 60_000)).toBeUndefined();
      const again = await l.acquireLease(id, 'h1', now, 60_000);
      expect(again?.token).toBe(2);
      const later = new Date(now.getTime() + 60_001);
      const taken = await l.acquireLease(id, 'h2', later, 60_000);
      expect(taken?.token).toBe(3);
      if (!again || !taken) return;
      // h1 lost its lease: its release leaves h2's lease but records the outcome.
      await l.releaseLease(again, 'failed');
      let state = (await l.states([id])).get(id);
      expect(state?.lease).toEqual({
        holder: 'h2',
        until: new Date(later.getTime() + 60_000).toISOString(),
        token: 3,
      });
      expect(state?.lastOutcome).toBe('failed');
      await l.releaseLease(taken, 'accepted');
      state = (await l.states([id])).get(id);
      expect(state).toEqual({ endpointId: id, flags: {}, lastOutcome: 'accepted' });
      // The token survives the release: the next grant is larger still.
      expect((await l.acquireLease(id, 'h3', now, 60_000))?.token).toBe(4);
    });

    it('once-flags: on a missing item, on an item without the map, and under concurrency', async () => {
      const l = ledger();
      const fresh = endpoint(30);
      const now = new Date(at(0));
      expect(await l.setFlagOnce(fresh, 'held', now)).toBe(true);
      expect(await l.setFlagOnce(fresh, 'held', now)).toBe(false);
      expect(await l.setFlagOnce(fresh, 'dry-run:accepted', now)).toBe(true);
      await l.clearFlag(fresh, 'held');
      expect(await l.setFlagOnce(fresh, 'held', new Date(at(1)))).toBe(true);
      expect((await l.states([fresh])).get(fresh)?.flags).toEqual({ held: at(1), 'dry-run:accepted': at(0) });

      // The state item exists (a lease) but has no flags map yet.
      const leased = endpoint(31);
      expect(await l.acquireLease(leased, 'h1', now, 1000)).toBeDefined();
      expect(await l.setFlagOnce(leased, 'drift', now)).toBe(true);
      expect((await l.states([leased])).get(leased)?.flags).toEqual({ drift: at(0) });

      // Clearing a flag that was never set is a no-op and creates nothing.
      const untouched = endpoint(32);
      await l.clearFlag(untouched, 'held');
      expect((await l.states([untouched])).has(untouched)).toBe(false);

      // Five callers race for one flag: exactly one wins.
      const raced = endpoint(33);
      const wins = await Promise.all(Array.from({ length: 5 }, () => l.setFlagOnce(raced, 'held', now)));
      expect(wins.filter(Boolean)).toHaveLength(1);
    });

    it('reads many states in few calls; endpoints without state are absent', async () => {
      const l = ledger();
      const ids = Array.from({ length: 150 }, (_, i) => endpoint(1000 + i));
      await Promise.all(ids.slice(0, 120).map((id) => l.setFlagOnce(id, 'held', new Date(at(0)))));
      const states = await l.states(ids);
      expect(states.size).toBe(120);
      expect(states.get(ids[0] ?? '')?.flags).toEqual({ held: at(0) });
      expect(states.has(ids[149] ?? '')).toBe(false);
    });
  });

  describe('write ahead over this DynamoDB', () => {
    const steps = [
      'ledger.writeIntent',
      'endpointServices.accept',
      'events.decisions',
      'ledger.recordIntent',
      'ledger.finishIntent',
    ];
    steps.forEach((step, i) => {
      it(`a decider that crashes after ${step}: one accept, one entry, one notice after the next decide`, async () => {
        // Prepare: the real ledger, so the conditional expressions are DynamoDB's own.
        const l = ledger();
        const ec2 = new FakeEndpointServices();
        const notifier = new RecordingNotifier();
        const events = new RecordingEvents();
        const partner = connection({
          serviceId: S1,
          endpointId: endpoint(0xc000 + i),
          account: X,
          createdAt: new Date(at(0)),
        });
        ec2.add(partner);
        const rules = ruleSetFromItems([
          { kind: 'rule', id: 'partners', effect: 'accept', match: { accounts: [X] } },
        ]);
        let clock = new Date(at(30));
        const deps = (holder: string) => ({
          endpointServices: ec2,
          ledger: l,
          notifier,
          events,
          now: () => clock,
          holder,
          // A dead process retries nothing: its writes after the crash fail at once.
          sleep: async () => {},
        });
        const input = {
          serviceId: S1,
          connections: [partner],
          trigger: 'notification' as const,
          rules: { ...rules, version: 1 },
        };
        const process = new Process(step);
        const dying = {
          ...deps('crashed'),
          endpointServices: mortal(ec2, 'endpointServices', process),
          ledger: mortal(l, 'ledger', process),
          notifier: mortal(notifier, 'notifier', process),
          events: mortal(events, 'events', process),
        };
        // Act
        await expect(decideService(input, dying)).rejects.toThrow(CrashError);
        clock = new Date(clock.getTime() + DEFAULT_LEASE_MS + 1);
        const fresh = await ec2.describeConnections(S1, { endpointIds: [partner.endpointId] });
        await decideService({ ...input, connections: fresh }, deps('retry'));
        await decideService({ ...input, connections: fresh }, deps('late'));
        // Assess
        expect(ec2.calls).toHaveLength(1);
        const history = await l.history({ endpointId: partner.endpointId });
        expect(history.map((e) => e.outcome)).toEqual(['accepted']);
        expect(notifier.notices).toHaveLength(1);
        const state = (await l.states([partner.endpointId])).get(partner.endpointId);
        expect(state?.intent).toBeUndefined();
        expect(state?.flags['notice:accepted']).toBeDefined();
      });
    });
  });

  describe('limits over this DynamoDB', () => {
    it('deciders racing for one account with limit 1 accept exactly one request', async () => {
      // Prepare
      const l = ledger();
      const ec2 = new FakeEndpointServices();
      const notifier = new RecordingNotifier();
      const requests = Array.from({ length: 4 }, (_, i) =>
        connection({
          serviceId: S2,
          endpointId: endpoint(0xd000 + i),
          account: Y,
          createdAt: new Date(at(i)),
        }),
      );
      ec2.add(...requests);
      const rules = ruleSetFromItems([
        { kind: 'defaults', id: 'defaults', defaultEffect: 'review' },
        {
          kind: 'rule',
          id: 'one',
          effect: 'accept',
          match: { accounts: [Y] },
          limits: { maxEndpointsPerAccount: 1 },
        },
      ]);
      const decide = (c: (typeof requests)[number], holder: string) =>
        decideService(
          { serviceId: S2, connections: [c], trigger: 'notification', rules: { ...rules, version: 1 } },
          {
            endpointServices: ec2,
            ledger: l,
            notifier,
            events: new RecordingEvents(),
            now: () => new Date(at(40)),
            holder,
          },
        );
      // Act: every request decided twice, all at once.
      await Promise.all([...requests, ...requests].map((c, i) => decide(c, `decider-${i}`)));
      // Those that found the account busy are decided by whatever comes next (here, one by one).
      for (const [i, c] of requests.entries()) await decide(c, `after-${i}`);
      // Assess
      expect(requests.filter((c) => ec2.state(c.endpointId) === 'available')).toHaveLength(1);
      const outcomes = notifier.notices.flatMap((n) => (n.kind === 'decision' ? [n.entry.outcome] : []));
      expect(outcomes.filter((o) => o === 'accepted')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'held')).toHaveLength(3);
    });
  });
}
