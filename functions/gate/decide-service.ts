/**
 * Carries out the decision core's plan for the connections of one service: leases, the
 * EC2 actions in batches, the ledger, the notices and the `Connection Decision` events.
 * Every trigger (notification, sweep, rule change, manual) ends here, so every path is
 * idempotent in the same way:
 *  - an action is taken only under the endpoint's lease, on connection state re-read
 *    from EC2 while the lease is held: a duplicate, late or racing trigger re-reads a
 *    state that no longer needs the action and does nothing;
 *  - held, drift and dry-run notices go out once per endpoint (a conditional once-flag).
 */
import pLimit from 'p-limit';
import type { Connection } from '../core/connection.ts';
import {
  countAcceptedByAccount,
  type PlanInput,
  type PlannedDecision,
  planDecisions,
} from '../core/decide.ts';
import type { OrganizationPath } from '../core/evaluation-context.ts';
import { needsOrganization, type RuleSet, settingsFor } from '../core/rules/rule-set.ts';
import type { Trigger } from '../shared/events.ts';
import type {
  ActionFailure,
  EndpointServices,
  EndpointState,
  GateEvents,
  Ledger,
  LedgerEntry,
  Notifier,
  OrganizationDirectory,
  Outcome,
} from './ports.ts';
import type { LoadedRules } from './rules-cache.ts';

export interface DecideDeps {
  endpointServices: EndpointServices;
  ledger: Ledger;
  notifier: Notifier;
  events: GateEvents;
  organizations?: OrganizationDirectory;
  now: () => Date;
  /** Who holds leases taken by this invocation (e.g. the Lambda request id). */
  holder: string;
  /** The region the gate and its services are in (AWS_REGION). */
  region?: string;
  /** How long an action lease lasts; longer than an EC2 call with its retries. */
  leaseMs?: number;
  log?: (message: string, data: Record<string, unknown>) => void;
}

export interface DecideServiceInput {
  serviceId: string;
  /** Connections as EC2 showed them, all of the service's or some of them. */
  connections: readonly Connection[];
  /**
   * Accepted endpoints per account on the service when the caller read them all;
   * otherwise they are read from EC2 for the accounts that need them.
   */
  acceptedByAccount?: ReadonlyMap<string, number>;
  trigger: Trigger;
  rules: LoadedRules;
  /** For a person's action: who (the caller's ARN) and why, copied onto every entry. */
  actor?: string;
  reason?: string;
}

const DEFAULT_LEASE_MS = 120_000;
/** Lease writes in flight at once: a sweep may act on thousands of endpoints. */
const LEASE_CONCURRENCY = 16;
const DECIDABLE_STATES = new Set(['pendingAcceptance', 'pending', 'available']);

/** Decides the given connections of one service; returns the ledger entries it wrote. */
export async function decideService(input: DecideServiceInput, deps: DecideDeps): Promise<LedgerEntry[]> {
  const now = deps.now();
  // Every connection's state, decidable or not: a rejected one may still owe its record.
  const states = await deps.ledger.states(input.connections.map((c) => c.endpointId));
  await flushPending(states, deps);

  const { ruleSet } = input.rules;
  const settings = settingsFor(ruleSet, input.serviceId);
  if (settings.mode === 'off') return [];
  const connections = input.connections.filter((c) => DECIDABLE_STATES.has(c.state));
  if (connections.length === 0) return [];

  const planInput: PlanInput = {
    connections,
    ruleSet,
    settings,
    now,
    ...(deps.region ? { serviceRegion: deps.region } : {}),
    flags: new Map([...states].map(([id, state]) => [id, state.flags])),
    organizations: await organizationsFor(connections, ruleSet, input.serviceId, now, deps),
    acceptedByAccount:
      input.acceptedByAccount ?? (await acceptedCounts(connections, ruleSet, input.serviceId, deps)),
  };
  const plan = planDecisions(planInput);

  const entries: LedgerEntry[] = [];
  const actions = plan.decisions.filter((d) => d.action !== 'none' && !d.dryRun);
  const notices = plan.decisions.filter((d) => d.action === 'none' || d.dryRun);
  entries.push(...(await act(input, planInput, actions, deps)));
  for (const decision of notices) {
    if (
      decision.onceFlag &&
      !(await deps.ledger.setFlagOnce(decision.connection.endpointId, decision.onceFlag, now))
    ) {
      continue;
    }
    entries.push(entryFor(decision, decision.outcome, input, now));
  }
  for (const { endpointId, flag } of plan.clearFlags) await deps.ledger.clearFlag(endpointId, flag);

  await recordThroughOutbox(entries, deps);
  return entries;
}

/**
 * Records what was done without losing it: the entries wait on each endpoint's state
 * (the outbox) until the ledger, the notice and the event have all gone out. A fault in
 * between is retried by whatever decides the endpoint next (the event's retry, a sweep),
 * which flushes the outbox first. Ledger appends are idempotent; notices are at least once.
 */
async function recordThroughOutbox(entries: LedgerEntry[], deps: DecideDeps): Promise<void> {
  if (entries.length === 0) return;
  const byEndpoint = new Map<string, LedgerEntry[]>();
  for (const entry of entries)
    byEndpoint.set(entry.endpointId, [...(byEndpoint.get(entry.endpointId) ?? []), entry]);
  const limit = pLimit(LEASE_CONCURRENCY);
  await Promise.all([...byEndpoint].map(([id, pending]) => limit(() => deps.ledger.setPending(id, pending))));
  await record(entries, deps);
  await Promise.all([...byEndpoint.keys()].map((id) => limit(() => deps.ledger.clearPending(id))));
}

async function flushPending(states: Map<string, EndpointState>, deps: DecideDeps): Promise<void> {
  for (const [endpointId, state] of states) {
    if (!state.pending || state.pending.length === 0) continue;
    deps.log?.('recording what an earlier decision did not finish recording', { endpointId });
    await record(state.pending, deps);
    await deps.ledger.clearPending(endpointId);
  }
}

async function act(
  input: DecideServiceInput,
  planInput: PlanInput,
  planned: PlannedDecision[],
  deps: DecideDeps,
): Promise<LedgerEntry[]> {
  if (planned.length === 0) return [];
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const limit = pLimit(LEASE_CONCURRENCY);
  const taken = await Promise.all(
    planned.map((decision) =>
      limit(async () => {
        const id = decision.connection.endpointId;
        if (await deps.ledger.acquireLease(id, deps.holder, deps.now(), leaseMs)) return id;
        deps.log?.('endpoint leased by another decider', { endpointId: id });
        return undefined;
      }),
    ),
  );
  const leased = taken.filter((id): id is string => id !== undefined);
  if (leased.length === 0) return [];

  const outcomes = new Map<string, Outcome>();
  try {
    // Re-read under the lease and plan again: the state we act on is the state EC2 has now.
    const fresh = await deps.endpointServices.describeConnections(input.serviceId, { endpointIds: leased });
    const replanned = planDecisions({ ...planInput, connections: fresh }).decisions.filter(
      (d) => d.action !== 'none' && !d.dryRun,
    );
    const now = deps.now();
    const entries: LedgerEntry[] = [];
    for (const action of ['accept', 'reject'] as const) {
      const batch = replanned.filter((d) => d.action === action);
      if (batch.length === 0) continue;
      const ids = batch.map((d) => d.connection.endpointId);
      const result =
        action === 'accept'
          ? await deps.endpointServices.accept(input.serviceId, ids)
          : await deps.endpointServices.reject(input.serviceId, ids);
      const failures = new Map(result.failed.map((f) => [f.endpointId, f]));
      const raced = await racedAway(input.serviceId, batch, failures, deps);
      for (const decision of batch) {
        const id = decision.connection.endpointId;
        const failure = failures.get(id);
        if (failure && raced.has(id)) {
          deps.log?.('connection changed state before the action', { endpointId: id, code: failure.code });
          continue;
        }
        const outcome: Outcome = failure ? 'failed' : decision.outcome;
        outcomes.set(id, outcome);
        const entry = entryFor(decision, outcome, input, now);
        if (failure) entry.error = { code: failure.code, message: failure.message };
        entries.push(entry);
      }
    }
    return entries;
  } finally {
    await Promise.all(
      leased.map((id) => limit(() => deps.ledger.releaseLease(id, deps.holder, outcomes.get(id)))),
    );
  }
}

/** Endpoints whose action failed because their state moved on (a consumer delete, another actor): not failures of ours. */
async function racedAway(
  serviceId: string,
  batch: PlannedDecision[],
  failures: Map<string, ActionFailure>,
  deps: DecideDeps,
): Promise<Set<string>> {
  if (failures.size === 0) return new Set();
  const now = await deps.endpointServices.describeConnections(serviceId, {
    endpointIds: [...failures.keys()],
  });
  const stateNow = new Map(now.map((c) => [c.endpointId, c.state]));
  const raced = new Set<string>();
  for (const decision of batch) {
    const id = decision.connection.endpointId;
    if (failures.has(id) && stateNow.get(id) !== decision.connection.state) raced.add(id);
  }
  return raced;
}

async function record(entries: LedgerEntry[], deps: DecideDeps): Promise<void> {
  if (entries.length === 0) return;
  for (const entry of entries) {
    await deps.ledger.append(entry);
    await deps.notifier.publish({ kind: 'decision', entry });
  }
  await deps.events.decisions(entries);
}

function entryFor(
  decision: PlannedDecision,
  outcome: Outcome,
  input: DecideServiceInput,
  now: Date,
): LedgerEntry {
  const { record, connection } = decision;
  return {
    at: now.toISOString(),
    endpointId: connection.endpointId,
    serviceId: connection.serviceId,
    account: connection.account,
    trigger: input.trigger,
    decision: record.decision,
    rule: record.rule,
    matched: record.matched,
    reasons: record.reasons,
    action: decision.action,
    outcome,
    dryRun: decision.dryRun,
    rulesVersion: input.rules.version,
    state: connection.state,
    ...(input.actor !== undefined ? { actor: input.actor } : {}),
    ...(input.reason !== undefined ? { reason: input.reason } : {}),
  };
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

/**
 * Accepted endpoints per account, read from EC2 only when an active accept rule of the
 * service has a limit and only for the accounts with a request waiting.
 */
async function acceptedCounts(
  connections: readonly Connection[],
  ruleSet: RuleSet,
  serviceId: string,
  deps: DecideDeps,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const limited = ruleSet.rules.some(
    (rule) =>
      rule.effect === 'accept' &&
      rule.limits !== undefined &&
      (rule.services === undefined || rule.services.includes(serviceId)),
  );
  if (!limited) return counts;
  const waiting = new Set(connections.filter((c) => c.state === 'pendingAcceptance').map((c) => c.account));
  for (const account of waiting) {
    const ofAccount = await deps.endpointServices.describeConnections(serviceId, { account });
    counts.set(account, countAcceptedByAccount(ofAccount).get(account) ?? 0);
  }
  return counts;
}
