/**
 * A person's decision about one endpoint (DESIGN §3, "Operator decisions"), the same for
 * `plgate approve` / `deny` and the Slack buttons (the operator function):
 *  - deny rejects now, pending or live;
 *  - approve accepts a pending request whatever holds it (a review rule, a default, an
 *    undetermined condition) but never against a matching reject rule: then it refuses,
 *    naming the rule;
 *  - both refuse, writing nothing, when the endpoint is not in a state they can change or
 *    its service is in dry-run or off; on an endpoint already where they would put it,
 *    they say so and change nothing.
 * The decision is kept as an `approval` / `denial` item, then the endpoint is decided at
 * once through the same pipeline as every other trigger (lease, EC2, ledger, notice).
 */
import type { Connection } from '../core/connection.ts';
import type { DecisionRecord } from '../core/decision-record.ts';
import { evaluate, holdText } from '../core/evaluate.ts';
import type { EvaluationContext } from '../core/evaluation-context.ts';
import {
  OPERATOR_KINDS,
  type OperatorDecision,
  type OperatorVerdict,
  operatorDecisionItem,
} from '../core/rules/operator-decisions.ts';
import { needsOrganization, type RuleSet } from '../core/rules/rule-set.ts';
import { settingsFor } from '../core/rules/settings.ts';
import { type DecideDeps, decideService } from './decide-service.ts';
import type { LedgerEntry, RulesItemWriter } from './ports.ts';
import type { RuleSetCache } from './rules-cache.ts';

export interface OperatorRequest {
  action: OperatorVerdict;
  endpointId: string;
  /** The endpoint's service; absent: looked up among the managed services. */
  serviceId?: string;
  /** Who decides: the caller's ARN, or the Slack channel's role and user. */
  actor: string;
  reason?: string;
}

/**
 * done: the endpoint reached the state asked for; already: it was there, nothing written;
 * refused: nothing written; unfinished: the decision is recorded but EC2 did not get
 * there (failure, or another decider holds the endpoint's lease).
 */
export type OperatorStatus = 'done' | 'already' | 'refused' | 'unfinished';

export interface OperatorResult {
  action: OperatorVerdict;
  endpointId: string;
  serviceId?: string;
  status: OperatorStatus;
  /** One line for people (the terminal, the Slack channel). */
  message: string;
  /** The connection's state after the action, when it is known. */
  state?: string;
  /** What the rules (with the decision) give the endpoint. */
  decision?: DecisionRecord;
  entries: LedgerEntry[];
}

export interface OperatorDeps extends DecideDeps {
  rules: RuleSetCache;
  rulesWriter: RulesItemWriter;
  /** How long to wait for another decider's lease on the endpoint before giving up (default 30 s). */
  leaseWaitMs?: number;
  /** Told once when the endpoint is leased by another decision and the action waits for it. */
  onWait?: (message: string) => void;
}

/** A running decision holds an endpoint for milliseconds to seconds; a person waits that long. */
const DEFAULT_LEASE_WAIT_MS = 30_000;
/** The first wait between tries, doubled each time up to the longest. */
const LEASE_WAIT_FIRST_MS = 100;
const LEASE_WAIT_LONGEST_MS = 2_000;

const CHANGEABLE: Record<OperatorVerdict, ReadonlySet<string>> = {
  approve: new Set(['pendingAcceptance']),
  deny: new Set(['pendingAcceptance', 'pending', 'available']),
};
const REACHED: Record<OperatorVerdict, ReadonlySet<string>> = {
  approve: new Set(['pending', 'available']),
  deny: new Set(['rejected']),
};

export async function decideByOperator(
  request: OperatorRequest,
  deps: OperatorDeps,
): Promise<OperatorResult> {
  const { action, endpointId } = request;
  const result = (status: OperatorStatus, message: string, more: Partial<OperatorResult> = {}) => ({
    action,
    endpointId,
    status,
    message,
    entries: [],
    ...more,
  });

  const connection = await locate(request, deps);
  if (!connection) {
    const where = request.serviceId ?? 'any managed service (tagged privatelink-gate:managed=true)';
    return result('refused', `${endpointId} is not a connection of ${where}: nothing written`);
  }
  const at = { serviceId: connection.serviceId, state: connection.state };
  const { ruleSet } = await deps.rules.current();
  const { mode, held } = settingsFor(ruleSet, connection.serviceId);
  if (held) {
    return result(
      'refused',
      `service ${connection.serviceId} is held (${holdText(held)}): no action on its connections until that is fixed, so ${action} wrote nothing`,
      at,
    );
  }
  if (mode !== 'enforce') {
    return result(
      'refused',
      `service ${connection.serviceId} is in ${mode} mode: the gate takes no action on its connections, so ${action} wrote nothing`,
      at,
    );
  }
  if (REACHED[action].has(connection.state)) {
    return result('already', `${endpointId} is already ${connection.state}: nothing to do`, at);
  }

  const decision: OperatorDecision = {
    verdict: action,
    endpointId,
    serviceId: connection.serviceId,
    account: connection.account,
    actor: request.actor,
    ...(request.reason ? { reason: request.reason } : {}),
    at: deps.now().toISOString(),
  };
  const would = evaluate(
    connection,
    await contextFor(connection, ruleSet, deps),
    withDecision(ruleSet, decision),
  );
  if (action === 'approve' && would.decision === 'reject') {
    return result(
      'refused',
      `reject rule "${would.rule ?? '?'}" matches ${endpointId}, and an approval never outranks a reject rule: nothing written (disable or narrow the rule first)`,
      { ...at, decision: would },
    );
  }
  if (!CHANGEABLE[action].has(connection.state)) {
    return result(
      'refused',
      `${endpointId} is ${connection.state}: ${action} cannot change that, nothing written`,
      at,
    );
  }

  const opposite = OPERATOR_KINDS[action === 'approve' ? 'deny' : 'approve'];
  await deps.rulesWriter.deleteItems([{ kind: opposite, id: endpointId }]);
  await deps.rulesWriter.putItems([operatorDecisionItem(decision)]);
  await deps.rulesWriter.bumpVersion();

  const { entries, state } = await carryOut(request, connection, deps);
  const after = { serviceId: connection.serviceId, state, decision: would, entries };
  if (REACHED[action].has(state)) {
    // Another decider may have carried the person's decision out first (the sweep the rule
    // change starts): the ledger names the person all the same, and so does this line.
    const outcome =
      entries.find((e) => e.endpointId === endpointId)?.outcome ?? carriedOutcome(action, connection.state);
    return result(
      'done',
      `${endpointId}: ${outcome} (${action === 'approve' ? 'approved' : 'denied'} by ${request.actor})`,
      after,
    );
  }
  const failed = entries.find((e) => e.outcome === 'failed');
  const why = failed?.error
    ? `EC2 refused: ${failed.error.code}: ${failed.error.message}`
    : 'another decision holds the endpoint (its lease)';
  return result(
    'unfinished',
    `${endpointId} is still ${state}: ${why}. The ${action === 'approve' ? 'approval' : 'denial'} is recorded; run it again, or the next sweep acts on it`,
    after,
  );
}

/** The ledger's outcome of a person's decision that reached its state: accepted, rejected, or revoked (it was live). */
function carriedOutcome(action: OperatorVerdict, stateBefore: string): string {
  if (action === 'approve') return 'accepted';
  return stateBefore === 'pendingAcceptance' ? 'rejected' : 'revoked';
}

/**
 * Decides the endpoint now that the person's decision is recorded. While another decision
 * holds the endpoint's lease nothing happens to it: this tries again, waiting a little
 * longer each time, until the endpoint is where the person asked, EC2 refuses, or the wait
 * is over (DEFAULT_LEASE_WAIT_MS, or less when the caller's own deadline is nearer).
 */
async function carryOut(
  request: OperatorRequest,
  connection: Connection,
  deps: OperatorDeps,
): Promise<{ entries: LedgerEntry[]; state: string }> {
  const { action, endpointId } = request;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + waitBoundMs(deps);
  const entries: LedgerEntry[] = [];
  let pause = LEASE_WAIT_FIRST_MS;
  for (let attempt = 0; ; attempt += 1) {
    const decided = await decideService(
      {
        serviceId: connection.serviceId,
        connections: [connection],
        trigger: 'manual',
        rules: await deps.rules.current(),
      },
      { ...deps, actor: request.actor, ...(request.reason ? { reason: request.reason } : {}) },
    );
    entries.push(...decided);
    const [now] = await deps.endpointServices.describeConnections(connection.serviceId, {
      endpointIds: [endpointId],
    });
    const state = now?.state ?? 'unknown';
    const left = deadline - Date.now();
    if (
      REACHED[action].has(state) ||
      !CHANGEABLE[action].has(state) ||
      decided.some((e) => e.endpointId === endpointId) ||
      left <= 0
    ) {
      return { entries, state };
    }
    if (attempt === 0) {
      deps.onWait?.(
        `${endpointId}: another decision holds it; waiting up to ${Math.ceil(left / 1000)} s to ${action === 'approve' ? 'accept' : 'reject'} it`,
      );
    }
    await sleep(Math.min(pause, left));
    pause = Math.min(pause * 2, LEASE_WAIT_LONGEST_MS);
  }
}

/** The wait for a lease: the default, the caller's, and never past the caller's own deadline. */
function waitBoundMs(deps: Pick<OperatorDeps, 'leaseWaitMs' | 'remainingMs'>): number {
  const bound = deps.leaseWaitMs ?? DEFAULT_LEASE_WAIT_MS;
  const remaining = deps.remainingMs?.();
  // A Lambda caller keeps time after the wait for one more try and its answer.
  return remaining === undefined ? bound : Math.max(0, Math.min(bound, remaining - DECIDE_AFTER_WAIT_MS));
}

/** What a Lambda caller keeps of its time for the try after the wait. */
const DECIDE_AFTER_WAIT_MS = 20_000;

/** The endpoint's connection, on the service named or on any managed service. */
async function locate(
  request: Pick<OperatorRequest, 'endpointId' | 'serviceId'>,
  deps: Pick<OperatorDeps, 'endpointServices'>,
): Promise<Connection | undefined> {
  const services = request.serviceId
    ? (await deps.endpointServices.isManaged(request.serviceId))
      ? [request.serviceId]
      : []
    : (await deps.endpointServices.listManagedServices()).map((s) => s.serviceId).sort();
  for (const serviceId of services) {
    const [found] = await deps.endpointServices.describeConnections(serviceId, {
      endpointIds: [request.endpointId],
    });
    if (found) return found;
  }
  return undefined;
}

function withDecision(ruleSet: RuleSet, decision: OperatorDecision): RuleSet {
  const decisions = new Map(ruleSet.operatorDecisions ?? []);
  decisions.set(decision.endpointId, decision);
  return { ...ruleSet, operatorDecisions: decisions };
}

/** What a reject rule could need: the time, the service's region, the account's organization. */
async function contextFor(
  connection: Connection,
  ruleSet: RuleSet,
  deps: Pick<OperatorDeps, 'now' | 'region' | 'organizations'>,
): Promise<EvaluationContext> {
  const now = deps.now();
  const context: EvaluationContext = { now, ...(deps.region ? { serviceRegion: deps.region } : {}) };
  if (deps.organizations && needsOrganization(ruleSet, connection.serviceId, now)) {
    const organization = await deps.organizations.pathOf(connection.account);
    if (organization) context.organization = organization;
  }
  return context;
}

/** What the rules give one endpoint now, in a line: the Explain button. Writes nothing. */
export async function explainEndpoint(
  request: Pick<OperatorRequest, 'endpointId' | 'serviceId'>,
  deps: Pick<OperatorDeps, 'endpointServices' | 'rules' | 'now' | 'region' | 'organizations'>,
): Promise<{ found: boolean; message: string; decision?: DecisionRecord; state?: string }> {
  const connection = await locate(request, deps);
  if (!connection) {
    return {
      found: false,
      message: `${request.endpointId} is not a connection of ${request.serviceId ?? 'any managed service'}`,
    };
  }
  const { ruleSet } = await deps.rules.current();
  const record = evaluate(connection, await contextFor(connection, ruleSet, deps), ruleSet);
  const { mode } = settingsFor(ruleSet, connection.serviceId);
  const by = record.rule ? ` by rule ${record.rule}` : record.default ? ' (default)' : '';
  const modeNote = mode === 'enforce' ? '' : ` [service in ${mode} mode]`;
  return {
    found: true,
    message: `${connection.endpointId} (account ${connection.account}, ${connection.state}) on ${connection.serviceId}: ${record.decision}${by}${modeNote}. ${record.reasons.slice(0, 3).join('; ')}`,
    decision: record,
    state: connection.state,
  };
}
