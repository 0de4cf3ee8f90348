/**
 * Carries out the decision core's plan for the connections of one service: leases, the
 * EC2 actions in batches, the ledger, the notices and the `Connection Decision` events.
 * Every decision about a connection, whatever its trigger (notification, sweep, rule
 * change, a person's approve or deny), ends here, so every one is idempotent in the same
 * way. (What is recorded without a decision appends to the ledger directly: a person's own
 * EC2 call seen in CloudTrail, manual-action.ts; a registration, register.ts; an approval
 * removed once its endpoint is gone, operator-cleanup.ts.)
 *  - an endpoint is acted on only under its lease, on connection state re-read from EC2
 *    while the lease is held: a duplicate, late or racing trigger re-reads a state that no
 *    longer needs the action and does nothing;
 *  - the action is written ahead as an intent on the endpoint's state and finished after
 *    (intents.ts), so a crash anywhere leaves exactly one ledger entry and one notice to
 *    whoever comes next;
 *  - leases carry a fencing token: the writes after an EC2 call hold only while the token
 *    is current, and each intent and notice claim renews the lease so that the call after
 *    it ends (SDK timeouts and retries, see functions/aws/call-budget.ts) before it can run out;
 *  - when an accept rule of the service has a limit, requests are accepted under a lease on
 *    (service, account) and counted again from EC2 under it, so racing deciders cannot
 *    accept past the limit.
 */
import pLimit from 'p-limit';
import type { Connection } from '../core/connection.ts';
import {
  countAcceptedByAccount,
  DRIFT_FLAG,
  type PlanInput,
  type PlannedDecision,
  planDecisions,
} from '../core/decide.ts';
import type { OrganizationPath } from '../core/evaluation-context.ts';
import { needsOrganization, type RuleSet } from '../core/rules/rule-set.ts';
import { settingsFor } from '../core/rules/settings.ts';
import type { Trigger } from '../shared/events.ts';
import { deletionDecision, deletionsToRecord } from './deletions.ts';
import { type FinalIntent, finishIntents, intentDepsOf, reconciledEntry, tookEffect } from './intents.ts';
import { LEASE_CONCURRENCY, LeaseSet } from './lease-set.ts';
import { ledgerEntry, recordedFor } from './ledger-entry.ts';
import type {
  ActionFailure,
  EndpointServices,
  EndpointState,
  GateEvents,
  Intent,
  Lease,
  LedgerEntry,
  LedgerTable,
  Notifier,
  OrganizationDirectory,
  Outcome,
} from './ports.ts';
import type { LoadedRules } from './rules-cache.ts';

export interface DecideDeps {
  endpointServices: EndpointServices;
  ledger: LedgerTable;
  notifier: Notifier;
  events: GateEvents;
  organizations?: OrganizationDirectory;
  now: () => Date;
  /** Who holds leases taken by this invocation (e.g. the Lambda request id). */
  holder: string;
  /** The region the gate and its services are in (AWS_REGION). */
  region?: string;
  /** The holder's time left (a Lambda invocation's): its leases end a margin after it. */
  remainingMs?: () => number;
  /** The person this run acts for (plgate approve / deny / sweep): written on every entry it makes. */
  actor?: string;
  /** Why, as that person gave it. */
  reason?: string;
  log?: (message: string, data: Record<string, unknown>) => void;
  /** Waits between retries of the gate's own (not the SDK's); injected so tests need not wait. */
  sleep?: (ms: number) => Promise<void>;
}

export interface DecideServiceInput {
  serviceId: string;
  /** Connections as EC2 showed them, all of the service's or some of them. */
  connections: readonly Connection[];
  /**
   * Accepted endpoints per account on the service when the caller read them all. A
   * service with a limited accept rule counts again from EC2 under the account's lease.
   */
  acceptedByAccount?: ReadonlyMap<string, number>;
  trigger: Trigger;
  rules: LoadedRules;
  /**
   * Lease waiting requests without reading their states first (the lease write returns
   * them): for a few named endpoints, where nearly every waiting one has something to do.
   * A sweep reads first, so it leases only what has something to do.
   */
  leaseWaitingFirst?: boolean;
}

const DECIDABLE_STATES = new Set(['pendingAcceptance', 'pending', 'available']);

/** Decides the given connections of one service; returns the ledger entries it wrote. */
export async function decideService(input: DecideServiceInput, deps: DecideDeps): Promise<LedgerEntry[]> {
  const now = deps.now();
  const { ruleSet } = input.rules;
  const { serviceId } = input;
  // Every connection's state, decidable or not: a rejected one may still owe its record.
  // A waiting request leased first is read by its lease instead.
  const states = await deps.ledger.states(
    input.connections
      .filter((c) => !(input.leaseWaitingFirst && c.state === 'pendingAcceptance'))
      .map((c) => c.endpointId),
  );
  const settings = settingsFor(ruleSet, serviceId);
  // A held service's mode is unknown: its waiting requests are still recorded as held.
  const active = settings.mode !== 'off' || settings.held !== undefined;
  const limited = active && hasLimitedAccept(ruleSet, serviceId);
  const decidable = active ? input.connections.filter((c) => DECIDABLE_STATES.has(c.state)) : [];

  const planInput: PlanInput = {
    connections: decidable,
    ruleSet,
    settings,
    now,
    ...(deps.region ? { serviceRegion: deps.region } : {}),
    flags: flagsOf(states),
    organizations: await organizationsFor(decidable, ruleSet, serviceId, now, deps),
    acceptedByAccount: input.acceptedByAccount ?? new Map(),
  };
  // A first plan on what we were given: only endpoints with something to do are leased.
  const first = planDecisions(planInput);
  for (const { endpointId, flag } of first.clearFlags) {
    await deps.ledger.clearFlag(endpointId, flag);
    if (flag === DRIFT_FLAG) await deps.ledger.clearFlag(endpointId, 'notice:drift');
  }
  const candidates = new Set<string>([
    ...[...states.values()].filter((s) => s.intent).map((s) => s.endpointId),
    ...first.decisions.map((d) => d.connection.endpointId),
    // Under a limit the count given may be stale: every waiting request is looked at again.
    ...(limited ? decidable.filter((c) => c.state === 'pendingAcceptance').map((c) => c.endpointId) : []),
    ...(active ? deletionsToRecord(input.connections, states).map((c) => c.endpointId) : []),
  ]);
  if (candidates.size === 0) return [];

  const leases = new LeaseSet(deps);
  try {
    const byId = new Map(input.connections.map((c) => [c.endpointId, c]));
    const accounts = limited
      ? await leases.takeAccounts(
          serviceId,
          [...candidates].flatMap((id) => {
            const c = byId.get(id);
            return c?.state === 'pendingAcceptance' ? [c.account] : [];
          }),
        )
      : new Set<string>();
    const waitsForAccount = (c: Connection | undefined) =>
      limited && c?.state === 'pendingAcceptance' && !accounts.has(c.account);
    const wanted = [...candidates].filter((id) => states.get(id)?.intent || !waitsForAccount(byId.get(id)));
    const leased = await leases.takeEndpoints(wanted);
    if (leased.length === 0) return [];

    // Under the leases: EC2's state and the gate's own, read again.
    const fresh = await deps.endpointServices.describeConnections(serviceId, { endpointIds: leased });
    const freshById = new Map(fresh.map((c) => [c.endpointId, c]));
    const freshStates = await leases.states(leased);
    const recovered = await recoverIntents(leased, freshStates, freshById, leases, deps);

    const plan = planDecisions({
      ...planInput,
      connections: fresh.filter((c) => DECIDABLE_STATES.has(c.state) && active && !waitsForAccount(c)),
      flags: flagsOf(freshStates),
      acceptedByAccount: limited
        ? await countsOf(serviceId, [...accounts], deps)
        : (input.acceptedByAccount ?? new Map()),
    });
    const deletions = active
      ? deletionsToRecord(fresh, freshStates).map((c) => deletionDecision(c, planInput))
      : [];
    const decided = await carryOut(input, [...plan.decisions, ...deletions], leases, deps);
    return [...recovered, ...decided];
  } finally {
    await leases.releaseAll();
  }
}

/** Finishes what an earlier decider left unfinished, from EC2's state now. */
async function recoverIntents(
  leased: string[],
  states: Map<string, EndpointState>,
  connections: Map<string, Connection>,
  leases: LeaseSet,
  deps: DecideDeps,
): Promise<LedgerEntry[]> {
  const finals: FinalIntent[] = [];
  for (const id of leased) {
    const intent = states.get(id)?.intent;
    if (!intent) continue;
    const lease = leases.endpoint(id);
    const entry = reconciledEntry(intent, connections.get(id));
    deps.log?.('finishing an intent an earlier decider left', {
      endpointId: id,
      action: intent.entry.action,
      recorded: entry !== undefined,
    });
    if (!entry) {
      // Its action never happened: the plan below decides again on the state EC2 has now.
      await deps.ledger.clearIntent(lease, intent.id);
      continue;
    }
    // Its entry is made final by the write that records it (finishIntents).
    finals.push({ lease, intent: { ...intent, entry, done: true } });
    leases.outcomes.set(id, entry.outcome);
  }
  return finishIntents(finals, intentDepsOf(deps, leases.leaseMs));
}

/** Writes each decision ahead, acts in batches, makes the intents final and records them. */
async function carryOut(
  input: DecideServiceInput,
  decisions: PlannedDecision[],
  leases: LeaseSet,
  deps: DecideDeps,
): Promise<LedgerEntry[]> {
  if (decisions.length === 0) return [];
  const limit = pLimit(LEASE_CONCURRENCY);
  const written = await Promise.all(
    decisions.map((decision) =>
      limit(async () => {
        const id = decision.connection.endpointId;
        const lease = leases.endpoint(id);
        const acts = decision.action !== 'none' && !decision.dryRun;
        const intent: Intent = {
          id: `i${lease.token}`,
          token: lease.token,
          entry: entryFor(decision, decision.outcome, input, deps),
          // Nothing happens in EC2 for a notice or a dry run: its entry is final as planned.
          done: !acts,
          ...(decision.onceFlag ? { onceFlag: decision.onceFlag } : {}),
        };
        if (!(await deps.ledger.writeIntent(lease, intent, deps.now(), leases.leaseMs))) {
          deps.log?.('intent not written: lease lost, or already done by another decider', {
            endpointId: id,
          });
          return undefined;
        }
        return { decision, intent, lease };
      }),
    ),
  );
  const ready = written.filter((w) => w !== undefined);
  const finals: FinalIntent[] = [];

  for (const action of ['accept', 'reject'] as const) {
    const batch = ready.filter((w) => !w.intent.done && w.decision.action === action);
    const go = action === 'accept' ? await underAccountLeases(batch, leases, deps) : batch;
    if (go.length === 0) continue;
    const ids = go.map((w) => w.decision.connection.endpointId);
    const result =
      action === 'accept'
        ? await deps.endpointServices.accept(input.serviceId, ids)
        : await deps.endpointServices.reject(input.serviceId, ids);
    const failures = new Map(result.failed.map((f) => [f.endpointId, f]));
    const stateNow = await statesAfterFailures(input.serviceId, failures, deps);
    for (const { decision, intent, lease } of go) {
      const id = decision.connection.endpointId;
      const failure = failures.get(id);
      const now = stateNow.get(id);
      let entry: LedgerEntry = { ...intent.entry, outcome: failure ? 'failed' : decision.outcome };
      if (failure && tookEffect(action, now)) {
        // EC2 answered with an error, yet shows the action done: an SDK retry after an answer
        // lost on the way (a reset), or another actor at the same moment. Recorded as done.
        entry = {
          ...intent.entry,
          reasons: [
            ...intent.entry.reasons,
            `EC2 answered ${failure.code}, yet shows the connection ${now}: recorded as done`,
          ],
        };
      } else if (failure && now !== decision.connection.state) {
        deps.log?.('connection changed state before the action', { endpointId: id, code: failure.code });
        await deps.ledger.clearIntent(lease, intent.id);
        continue;
      } else if (failure) {
        entry.error = { code: failure.code, message: failure.message };
      }
      const requestId = result.requestIds[id];
      if (requestId !== undefined) entry.requestId = requestId;
      // Made final, with EC2's answer, by the write that records it (finishIntents).
      finals.push({ lease, intent: { ...intent, entry, done: true } });
    }
  }
  // Notices after actions: the record reads in the order things happened.
  for (const { intent, lease } of ready) if (intent.done) finals.push({ intent, lease });
  for (const { intent } of finals) leases.outcomes.set(intent.entry.endpointId, intent.entry.outcome);
  return finishIntents(finals, intentDepsOf(deps, leases.leaseMs), { release: (id) => leases.released(id) });
}

/**
 * Accepts go ahead only while their account's lease is current: it is renewed just before
 * the call, so the count it was checked against cannot change until the call has ended.
 * Those whose account lease is lost are withdrawn, their intents cleared.
 */
async function underAccountLeases<T extends { decision: PlannedDecision; intent: Intent; lease: Lease }>(
  batch: T[],
  leases: LeaseSet,
  deps: DecideDeps,
): Promise<T[]> {
  const renewed = new Map<string, boolean>();
  const go: T[] = [];
  for (const item of batch) {
    const { account } = item.decision.connection;
    const accountLease = leases.account(account);
    if (accountLease === undefined) {
      go.push(item);
      continue;
    }
    let ok = renewed.get(account);
    if (ok === undefined) {
      ok = await deps.ledger.renewLease(accountLease, deps.now(), leases.leaseMs);
      renewed.set(account, ok);
    }
    if (ok) go.push(item);
    else {
      deps.log?.('account lease lost before the accept: withdrawn', {
        account,
        endpointId: item.decision.connection.endpointId,
      });
      await deps.ledger.clearIntent(item.lease, item.intent.id);
    }
  }
  return go;
}

/** The states EC2 shows now of the endpoints whose action failed: whether it happened anyway, or their state moved on. */
async function statesAfterFailures(
  serviceId: string,
  failures: Map<string, ActionFailure>,
  deps: DecideDeps,
): Promise<Map<string, string>> {
  if (failures.size === 0) return new Map();
  const now = await deps.endpointServices.describeConnections(serviceId, {
    endpointIds: [...failures.keys()],
  });
  return new Map(now.map((c) => [c.endpointId, c.state]));
}

function flagsOf(states: Map<string, EndpointState>): Map<string, Readonly<Record<string, string>>> {
  return new Map([...states].map(([id, state]) => [id, state.flags]));
}

function entryFor(
  decision: PlannedDecision,
  outcome: Outcome,
  input: DecideServiceInput,
  deps: DecideDeps,
): LedgerEntry {
  const { record, connection } = decision;
  const { trigger, person } = recordedFor(record, input.trigger, deps);
  return ledgerEntry({
    at: deps.now().toISOString(),
    connection,
    trigger,
    decision: record.decision,
    rule: record.rule,
    matched: record.matched,
    reasons: record.reasons,
    action: decision.action,
    outcome,
    dryRun: decision.dryRun,
    rulesVersion: input.rules.version,
    ...(person === undefined ? {} : { person }),
  });
}

function hasLimitedAccept(ruleSet: RuleSet, serviceId: string): boolean {
  return ruleSet.rules.some(
    (rule) =>
      rule.effect === 'accept' &&
      rule.limits !== undefined &&
      (rule.services === undefined || rule.services.includes(serviceId)),
  );
}

/** Accepted endpoints of each account, read from EC2 while the account's lease is held. */
async function countsOf(
  serviceId: string,
  accounts: string[],
  deps: DecideDeps,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const account of accounts) {
    const ofAccount = await deps.endpointServices.describeConnections(serviceId, { account });
    counts.set(account, countAcceptedByAccount(ofAccount).get(account) ?? 0);
  }
  return counts;
}

async function organizationsFor(
  connections: readonly Connection[],
  ruleSet: RuleSet,
  serviceId: string,
  now: Date,
  deps: DecideDeps,
): Promise<Map<string, OrganizationPath>> {
  const paths = new Map<string, OrganizationPath>();
  const directory = deps.organizations;
  if (!directory || !needsOrganization(ruleSet, serviceId, now)) return paths;
  for (const account of new Set(connections.map((c) => c.account))) {
    const path = await directory.pathOf(account);
    if (path) paths.set(account, path);
  }
  return paths;
}
