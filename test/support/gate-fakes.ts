/**
 * In-memory stand-ins for the gate's ports: plain data, no network. They behave like the
 * real services where the gate depends on it (states move on accept/reject, leases and
 * once-flags are conditional).
 */
import type { Connection } from '../../functions/core/connection.ts';
import type {
  ActionResult,
  ConnectionFilter,
  ConnectionPage,
  EndpointServices,
  EndpointState,
  EndpointStates,
  GateEvents,
  HistoryQuery,
  Intent,
  IntentFinish,
  Lease,
  Ledger,
  LedgerEntry,
  ManagedService,
  Notice,
  Notifier,
  Outcome,
  RuleProblemEntry,
  RulesItemWriter,
  RulesStore,
} from '../../functions/gate/ports.ts';
import { LeaseLostError } from '../../functions/gate/ports.ts';
import type { ConnectionEventDetail, SweepRequestedDetail } from '../../functions/shared/events.ts';

export class FakeEndpointServices implements EndpointServices {
  readonly connections = new Map<string, Connection>();
  readonly managed = new Set<string>();
  readonly enrolled: string[] = [];
  readonly calls: { action: 'accept' | 'reject'; serviceId: string; endpointIds: string[] }[] = [];
  /** Endpoint ids whose next action fails with this code. */
  readonly failNext = new Map<string, string>();
  /** Runs before an action is applied: lets a test change the world mid-decision. */
  beforeAction?: (action: 'accept' | 'reject', endpointIds: string[]) => void;
  describeCount = 0;

  add(...connections: Connection[]): this {
    for (const c of connections) {
      this.connections.set(c.endpointId, c);
      this.managed.add(c.serviceId);
    }
    return this;
  }

  state(endpointId: string): string | undefined {
    return this.connections.get(endpointId)?.state;
  }

  async describeConnections(serviceId: string, filter?: ConnectionFilter): Promise<Connection[]> {
    this.describeCount += 1;
    const source = filter?.endpointIds
      ? filter.endpointIds.flatMap((id) => {
          const found = this.connections.get(id);
          return found ? [found] : [];
        })
      : [...this.connections.values()];
    return source
      .filter((c) => c.serviceId === serviceId)
      .filter((c) => !filter?.endpointIds || filter.endpointIds.includes(c.endpointId))
      .filter((c) => !filter?.account || c.account === filter.account)
      .map((c) => ({ ...c }));
  }

  async pageConnections(serviceId: string, nextToken?: string, pageSize = 2): Promise<ConnectionPage> {
    const all = await this.describeConnections(serviceId);
    const start = nextToken ? Number(nextToken) : 0;
    const end = start + pageSize;
    return { connections: all.slice(start, end), ...(end < all.length ? { nextToken: String(end) } : {}) };
  }

  async accept(serviceId: string, endpointIds: string[]): Promise<ActionResult> {
    return this.act('accept', serviceId, endpointIds);
  }

  async reject(serviceId: string, endpointIds: string[]): Promise<ActionResult> {
    return this.act('reject', serviceId, endpointIds);
  }

  private requestCounter = 0;

  private act(action: 'accept' | 'reject', serviceId: string, endpointIds: string[]): ActionResult {
    this.beforeAction?.(action, endpointIds);
    this.calls.push({ action, serviceId, endpointIds: [...endpointIds] });
    const result: ActionResult = { succeeded: [], failed: [], requestIds: {} };
    const requestId = `fake-${action}-${++this.requestCounter}`;
    for (const id of endpointIds) {
      const connection = this.connections.get(id);
      const injected = this.failNext.get(id);
      this.failNext.delete(id);
      const allowed =
        action === 'accept'
          ? connection?.state === 'pendingAcceptance'
          : ['pendingAcceptance', 'pending', 'available'].includes(connection?.state ?? '');
      if (!connection || connection.serviceId !== serviceId) {
        result.failed.push({
          endpointId: id,
          code: 'InvalidVpcEndpointId.NotFound',
          message: `${id} not found`,
        });
      } else if (injected) {
        result.failed.push({ endpointId: id, code: injected, message: `injected ${injected}` });
      } else if (!allowed) {
        result.failed.push({ endpointId: id, code: 'InvalidState', message: `${id} is ${connection.state}` });
      } else {
        connection.state = action === 'accept' ? 'available' : 'rejected';
        result.succeeded.push(id);
        result.requestIds[id] = requestId;
      }
    }
    return result;
  }

  async listManagedServices(): Promise<ManagedService[]> {
    return [...this.managed].sort().map((serviceId) => ({ serviceId, acceptanceRequired: true, tags: {} }));
  }

  async isManaged(serviceId: string): Promise<boolean> {
    return this.managed.has(serviceId);
  }

  /** Calls of connectionsOfServices, each with the services it was asked about. */
  readonly connectionReads: string[][] = [];
  /** How many connections one read of several services holds (EC2's MaxResults); 0: none read whole. */
  onePageHolds = 1000;

  async connectionsOfServices(serviceIds: readonly string[]): Promise<Map<string, Connection[]>> {
    this.connectionReads.push([...serviceIds]);
    const whole = new Map<string, Connection[]>();
    for (const id of serviceIds) whole.set(id, []);
    let count = 0;
    for (const c of this.connections.values()) {
      const list = whole.get(c.serviceId);
      if (list === undefined) continue;
      list.push(structuredClone(c));
      count += 1;
    }
    // More than a page: EC2 would answer with a NextToken, and the sweep pages each service.
    return count > this.onePageHolds ? new Map() : whole;
  }

  /** Calls of enrolledServices, each with the services it was asked about. */
  readonly enrollmentReads: string[][] = [];

  async enrolledServices(services: readonly ManagedService[]): Promise<Set<string>> {
    this.enrollmentReads.push(services.map((s) => s.serviceId));
    return new Set(services.map((s) => s.serviceId).filter((id) => this.enrolled.includes(id)));
  }

  async enroll(serviceId: string): Promise<{ changed: string[] }> {
    if (this.enrolled.includes(serviceId)) return { changed: [] };
    this.enrolled.push(serviceId);
    return { changed: ['connection notification'] };
  }
}

/** The history fake: entries kept in memory, newest first by `at` as DynamoDB's sort key orders them. */
export class MemoryLedger implements Ledger {
  readonly entries: LedgerEntry[] = [];
  readonly ruleProblems: RuleProblemEntry[] = [];

  /** Fails the next appends with this error (a DynamoDB outage), then recovers. */
  failAppends = 0;
  private readonly appended = new Set<string>();

  async append(entry: LedgerEntry): Promise<void> {
    if (this.failAppends > 0) {
      this.failAppends -= 1;
      throw new Error('ledger unavailable');
    }
    const text = JSON.stringify(entry);
    if (this.appended.has(text)) return;
    this.appended.add(text);
    this.entries.push(structuredClone(entry));
  }

  async appendRuleProblem(entry: RuleProblemEntry): Promise<void> {
    this.ruleProblems.push(entry);
  }

  async history(query: HistoryQuery): Promise<LedgerEntry[]> {
    const limit = query.limit ?? 100;
    const since = query.since?.toISOString();
    const match = (e: LedgerEntry) =>
      'endpointId' in query
        ? e.endpointId === query.endpointId
        : 'serviceId' in query
          ? e.serviceId === query.serviceId
          : e.account === query.account;
    // Newest first; entries of the same time newest appended first, as the table's sort key has them.
    return this.entries
      .map((entry, order) => ({ entry, order, at: new Date(entry.at).toISOString() }))
      .filter(({ entry, at }) => match(entry) && (since === undefined || at >= since))
      .sort((x, y) => (x.at === y.at ? y.order - x.order : x.at < y.at ? 1 : -1))
      .slice(0, limit)
      .map(({ entry }) => structuredClone(entry));
  }

  outcomes(): [string, Outcome][] {
    return this.entries.map((e) => [e.endpointId, e.outcome]);
  }
}

/**
 * The endpoint-state fake, with DynamoEndpointStates's conditions: the same scenarios run
 * on both (test/unit/gate/memory-stores.test.ts). recordIntent appends to the given ledger.
 */
export class MemoryEndpointStates implements EndpointStates {
  readonly endpointStates = new Map<string, EndpointState>();
  private readonly lastTokens = new Map<string, number>();

  constructor(private readonly ledger: Ledger) {}

  private stateOf(endpointId: string): EndpointState {
    let state = this.endpointStates.get(endpointId);
    if (!state) {
      state = { endpointId, flags: {} };
      this.endpointStates.set(endpointId, state);
    }
    return state;
  }

  private current(lease: Lease): EndpointState | undefined {
    const state = this.endpointStates.get(lease.key);
    return state?.lease?.token === lease.token ? state : undefined;
  }

  async states(endpointIds: string[]): Promise<Map<string, EndpointState>> {
    const found = new Map<string, EndpointState>();
    for (const id of endpointIds) {
      const state = this.endpointStates.get(id);
      if (state) found.set(id, structuredClone(state));
    }
    return found;
  }

  async acquireLease(key: string, holder: string, now: Date, leaseMs: number): Promise<Lease | undefined> {
    const state = this.stateOf(key);
    // DynamoDB's condition: no lease, a lease run out (until < now), or the holder's own.
    if (state.lease && state.lease.holder !== holder && Date.parse(state.lease.until) >= now.getTime())
      return undefined;
    const token = (state.lease?.token ?? this.lastTokens.get(key) ?? 0) + 1;
    this.lastTokens.set(key, token);
    const until = new Date(now.getTime() + leaseMs).toISOString();
    state.lease = { holder, until, token };
    return { key, holder, token, until, state: structuredClone(state) };
  }

  async renewLease(lease: Lease, now: Date, leaseMs: number): Promise<boolean> {
    const state = this.current(lease);
    if (!state?.lease || Date.parse(state.lease.until) <= now.getTime()) return false;
    state.lease.until = new Date(now.getTime() + leaseMs).toISOString();
    return true;
  }

  async releaseLease(lease: Lease, lastOutcome?: Outcome): Promise<void> {
    const state = this.endpointStates.get(lease.key);
    if (state?.lease?.token === lease.token) delete state.lease;
    // The outcome is a fact whoever holds the lease; without one, a lost lease writes nothing.
    if (lastOutcome) this.stateOf(lease.key).lastOutcome = lastOutcome;
  }

  async writeIntent(lease: Lease, intent: Intent, now: Date, leaseMs: number): Promise<boolean> {
    const state = this.current(lease);
    if (!state?.lease || Date.parse(state.lease.until) <= now.getTime()) return false;
    if (state.intent) return false;
    if (intent.onceFlag && state.flags[intent.onceFlag]) return false;
    state.intent = structuredClone(intent);
    if (intent.onceFlag) state.flags[intent.onceFlag] = now.toISOString();
    state.lease.until = new Date(now.getTime() + leaseMs).toISOString();
    return true;
  }

  /** Not on the port: recordIntent's first step; public so a test can leave an intent done but unrecorded. */
  async completeIntent(lease: Lease, intentId: string, entry: LedgerEntry): Promise<void> {
    const state = this.current(lease);
    if (!state || state.intent?.id !== intentId) throw new LeaseLostError(`lease on ${lease.key} lost`);
    state.intent.entry = structuredClone(entry);
    state.intent.done = true;
  }

  private async claimNotice(
    lease: Lease,
    intentId: string,
    noticeFlag: string,
    now: Date,
    leaseMs: number,
  ): Promise<boolean> {
    const state = this.current(lease);
    // As DynamoDB's one condition: a notice already sent is the answer, whatever else failed.
    if (this.endpointStates.get(lease.key)?.flags[noticeFlag]) return false;
    if (!state?.lease || state.intent?.id !== intentId || Date.parse(state.lease.until) <= now.getTime())
      throw new LeaseLostError(`lease on ${lease.key} lost`);
    state.intent.noticeClaim = lease.token;
    state.lease.until = new Date(now.getTime() + leaseMs).toISOString();
    return true;
  }

  private async markNoticeSent(endpointId: string, noticeFlag: string, now: Date): Promise<void> {
    this.stateOf(endpointId).flags[noticeFlag] = now.toISOString();
  }

  async clearIntent(lease: Lease, intentId: string): Promise<void> {
    const state = this.current(lease);
    // DynamoDB's condition: the lease's token, and no intent or this one.
    if (!state || (state.intent && state.intent.id !== intentId))
      throw new LeaseLostError(`lease on ${lease.key} lost`);
    delete state.intent;
  }

  async recordIntent(
    lease: Lease,
    intent: Intent,
    noticeFlag: string,
    now: Date,
    leaseMs: number,
  ): Promise<boolean> {
    await this.completeIntent(lease, intent.id, intent.entry);
    await this.ledger.append(intent.entry);
    return this.claimNotice(lease, intent.id, noticeFlag, now, leaseMs);
  }

  async finishIntent(lease: Lease, intentId: string, finish: IntentFinish): Promise<void> {
    const state = this.current(lease);
    if (finish.noticeSent) await this.markNoticeSent(lease.key, finish.noticeSent, finish.now);
    if (!state || (state.intent && state.intent.id !== intentId))
      throw new LeaseLostError(`lease on ${lease.key} lost`);
    delete state.intent;
    if (finish.release) await this.releaseLease(lease, finish.release.outcome);
  }

  async setFlagOnce(endpointId: string, flag: string, now: Date): Promise<boolean> {
    const state = this.stateOf(endpointId);
    if (state.flags[flag]) return false;
    state.flags[flag] = now.toISOString();
    return true;
  }

  async clearFlag(endpointId: string, flag: string): Promise<void> {
    // Clearing a flag never set creates nothing, as in DynamoDB.
    const state = this.endpointStates.get(endpointId);
    if (state) delete state.flags[flag];
  }
}

/**
 * Both fakes as the one object decide-service takes as its `ledger` (the history with the
 * endpoints' states beside it), so a test can read `entries` and `endpointStates` off it.
 */
export class MemoryLedgerTable extends MemoryLedger implements EndpointStates {
  readonly endpoints = new MemoryEndpointStates(this);

  get endpointStates(): Map<string, EndpointState> {
    return this.endpoints.endpointStates;
  }

  states(endpointIds: string[]): Promise<Map<string, EndpointState>> {
    return this.endpoints.states(endpointIds);
  }
  acquireLease(key: string, holder: string, now: Date, leaseMs: number): Promise<Lease | undefined> {
    return this.endpoints.acquireLease(key, holder, now, leaseMs);
  }
  renewLease(lease: Lease, now: Date, leaseMs: number): Promise<boolean> {
    return this.endpoints.renewLease(lease, now, leaseMs);
  }
  releaseLease(lease: Lease, lastOutcome?: Outcome): Promise<void> {
    return this.endpoints.releaseLease(lease, lastOutcome);
  }
  writeIntent(lease: Lease, intent: Intent, now: Date, leaseMs: number): Promise<boolean> {
    return this.endpoints.writeIntent(lease, intent, now, leaseMs);
  }
  clearIntent(lease: Lease, intentId: string): Promise<void> {
    return this.endpoints.clearIntent(lease, intentId);
  }
  recordIntent(
    lease: Lease,
    intent: Intent,
    noticeFlag: string,
    now: Date,
    leaseMs: number,
  ): Promise<boolean> {
    return this.endpoints.recordIntent(lease, intent, noticeFlag, now, leaseMs);
  }
  finishIntent(lease: Lease, intentId: string, finish: IntentFinish): Promise<void> {
    return this.endpoints.finishIntent(lease, intentId, finish);
  }
  setFlagOnce(endpointId: string, flag: string, now: Date): Promise<boolean> {
    return this.endpoints.setFlagOnce(endpointId, flag, now);
  }
  clearFlag(endpointId: string, flag: string): Promise<void> {
    return this.endpoints.clearFlag(endpointId, flag);
  }
}

export class RecordingNotifier implements Notifier {
  readonly notices: Notice[] = [];
  /** Fails the next publishes (an SNS outage), then recovers. */
  failPublishes = 0;
  async publish(notice: Notice): Promise<void> {
    if (this.failPublishes > 0) {
      this.failPublishes -= 1;
      throw new Error('SNS unavailable');
    }
    this.notices.push(notice);
  }
}

export class RecordingEvents implements GateEvents {
  readonly connectionEventDetails: ConnectionEventDetail[] = [];
  readonly decisionEntries: LedgerEntry[] = [];
  readonly sweepRequests: SweepRequestedDetail[] = [];
  async connectionEvents(details: ConnectionEventDetail[]): Promise<void> {
    this.connectionEventDetails.push(...details);
  }
  async decisions(entries: LedgerEntry[]): Promise<void> {
    this.decisionEntries.push(...entries);
  }
  async requestSweep(detail: SweepRequestedDetail): Promise<void> {
    this.sweepRequests.push(detail);
  }
}

export class MemoryRulesStore implements RulesStore, RulesItemWriter {
  currentVersion = 1;
  versionReads = 0;
  itemReads = 0;
  constructor(public ruleItems: Record<string, unknown>[]) {}
  async version(): Promise<number> {
    this.versionReads += 1;
    return this.currentVersion;
  }
  async items(): Promise<Record<string, unknown>[]> {
    this.itemReads += 1;
    return structuredClone(this.ruleItems);
  }
  async bumpVersion(): Promise<number> {
    this.currentVersion += 1;
    return this.currentVersion;
  }
  async putItems(items: readonly Record<string, unknown>[]): Promise<void> {
    for (const item of items) {
      this.ruleItems = this.ruleItems.filter((i) => i.kind !== item.kind || i.id !== item.id);
      this.ruleItems.push(structuredClone(item));
    }
  }
  async deleteItems(keys: readonly { kind: string; id: string }[]): Promise<void> {
    this.ruleItems = this.ruleItems.filter((i) => !keys.some((k) => k.kind === i.kind && k.id === i.id));
  }
  async deleteItemIfPresent(key: { kind: string; id: string }): Promise<boolean> {
    const before = this.ruleItems.length;
    await this.deleteItems([key]);
    return this.ruleItems.length < before;
  }
}

let sequence = 0;
/** A connection with sensible defaults; ids in AWS's formats. */
export function connection(overrides: Partial<Connection> = {}): Connection {
  sequence += 1;
  return {
    serviceId: 'vpce-svc-0123456789abcdef0',
    endpointId: `vpce-${sequence.toString(16).padStart(17, '0')}`,
    account: '333333333333',
    state: 'pendingAcceptance',
    createdAt: new Date('2026-11-20T10:00:00Z'),
    region: 'us-east-1',
    ipAddressType: 'ipv4',
    tags: {},
    loadBalancerArns: [],
    ...overrides,
  };
}
