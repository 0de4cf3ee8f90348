/**
 * The decision core: from connections as EC2 shows them now, the rule set and what the
 * gate already did (once-flags), to what must happen. Pure: no I/O, no clock.
 *
 * DESIGN §3, "What the decision does, by the connection's current state":
 *   pendingAcceptance: accept → accept; reject → reject; review → hold (notify once), and past
 *   its pendingTtl (from CreationTimestamp) → reject as expired.
 *   pending / available: reject → per onRevoke, notify drift once or reject as revoked.
 *   anything else: nothing.
 * A service held by an invalid settings item gets no action at all, only held records.
 */
import type { Connection } from './connection.ts';
import type { DecisionRecord } from './decision-record.ts';
import { evaluate } from './evaluate.ts';
import type { EvaluationContext, OrganizationPath } from './evaluation-context.ts';
import type { RuleSet } from './rules/rule-set.ts';
import { reviewTtlMs, type Settings } from './rules/settings.ts';

export type PlannedOutcome = 'accepted' | 'rejected' | 'held' | 'expired' | 'revoked' | 'drift' | 'deleted';

export interface PlannedDecision {
  connection: Connection;
  record: DecisionRecord;
  outcome: PlannedOutcome;
  /** The EC2 action the outcome needs; in dry-run it is recorded, never taken. */
  action: 'accept' | 'reject' | 'none';
  dryRun: boolean;
  /**
   * A notice that must go out at most once per endpoint: the caller sets this flag first
   * and records the outcome only if it was the one that set it.
   */
  onceFlag?: string;
}

export interface PlanInput {
  connections: readonly Connection[];
  ruleSet: RuleSet;
  settings: Settings;
  now: Date;
  /** The service's own region: a connection whose region EC2 leaves out is from here. */
  serviceRegion?: string;
  /** Once-flags already set, by endpoint id. */
  flags: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Organization paths by account; absent = unknown (undetermined). */
  organizations?: ReadonlyMap<string, OrganizationPath>;
  /**
   * Accepted (pending or available) endpoints per consumer account on this service, not
   * counting the connections being planned when they are pendingAcceptance. Absent
   * account = unknown: an accept rule with a limit cannot match.
   */
  acceptedByAccount?: ReadonlyMap<string, number>;
}

export interface Plan {
  decisions: PlannedDecision[];
  /** Once-flags to clear because their condition no longer holds (drift healed). */
  clearFlags: { endpointId: string; flag: string }[];
}

export const HELD_FLAG = 'held';
export const DRIFT_FLAG = 'drift';
const dryRunFlag = (outcome: PlannedOutcome): string => `dry-run:${outcome}`;

const LIVE_STATES = new Set(['pending', 'available']);

/** Plans the decisions for the connections of one service. Oldest requests first, so limits are fair. */
export function planDecisions(input: PlanInput): Plan {
  const { settings } = input;
  const plan: Plan = { decisions: [], clearFlags: [] };
  if (settings.held) return planHeld(input);
  if (settings.mode === 'off') return plan;

  const dryRun = settings.mode === 'dry-run';
  const accepted = new Map(input.acceptedByAccount ?? []);
  const ordered = [...input.connections].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.endpointId.localeCompare(b.endpointId),
  );

  for (const connection of ordered) {
    const flags = input.flags.get(connection.endpointId) ?? {};
    const context: EvaluationContext = { now: input.now };
    if (input.serviceRegion) context.serviceRegion = input.serviceRegion;
    const organization = input.organizations?.get(connection.account);
    if (organization) context.organization = organization;
    const count = accepted.get(connection.account);
    if (connection.state === 'pendingAcceptance') {
      if (count !== undefined) context.liveEndpoints = count;
    } else {
      // A limit gates new requests; it never revokes one already accepted. Such a
      // connection is checked against the account's others, and when their count is
      // unknown it is not held against it.
      context.liveEndpoints = Math.max(0, (count ?? 1) - 1);
    }

    const planned = planOne(connection, context, input, flags);
    if (planned === 'heal-drift') {
      plan.clearFlags.push({ endpointId: connection.endpointId, flag: DRIFT_FLAG });
      continue;
    }
    if (!planned) continue;
    if (planned.action === 'accept' && count !== undefined) accepted.set(connection.account, count + 1);

    if (dryRun) {
      const flag = dryRunFlag(planned.outcome);
      if (flags[flag]) continue;
      plan.decisions.push({ ...planned, dryRun: true, onceFlag: flag });
    } else {
      plan.decisions.push({ ...planned, dryRun: false });
    }
  }
  return plan;
}

/**
 * A service held by an invalid settings item: its mode, TTL and revoke policy are unknown,
 * so no EC2 action of any kind is planned. Each waiting request is recorded as held, once.
 */
function planHeld(input: PlanInput): Plan {
  const plan: Plan = { decisions: [], clearFlags: [] };
  for (const connection of input.connections) {
    if (connection.state !== 'pendingAcceptance') continue;
    if (input.flags.get(connection.endpointId)?.[HELD_FLAG]) continue;
    const context: EvaluationContext = { now: input.now };
    if (input.serviceRegion) context.serviceRegion = input.serviceRegion;
    const record = evaluate(connection, context, input.ruleSet);
    plan.decisions.push({
      connection,
      record,
      outcome: 'held',
      action: 'none',
      dryRun: false,
      onceFlag: HELD_FLAG,
    });
  }
  return plan;
}

type Planned = Omit<PlannedDecision, 'dryRun'>;

function planOne(
  connection: Connection,
  context: EvaluationContext,
  input: PlanInput,
  flags: Readonly<Record<string, string>>,
): Planned | 'heal-drift' | undefined {
  if (connection.state === 'pendingAcceptance') {
    const record = evaluate(connection, context, input.ruleSet);
    switch (record.decision) {
      case 'accept':
        return { connection, record, outcome: 'accepted', action: 'accept' };
      case 'reject':
        return { connection, record, outcome: 'rejected', action: 'reject' };
      case 'review': {
        const ttlMs = reviewTtlMs(input.ruleSet, record);
        const waitedMs = input.now.getTime() - connection.createdAt.getTime();
        if (waitedMs >= ttlMs) {
          const expired = withReason(record, `waited in review longer than its ${formatMs(ttlMs)} limit`);
          return { connection, record: expired, outcome: 'expired', action: 'reject' };
        }
        if (flags[HELD_FLAG]) return undefined;
        return { connection, record, outcome: 'held', action: 'none', onceFlag: HELD_FLAG };
      }
    }
  }

  if (LIVE_STATES.has(connection.state)) {
    const record = evaluate(connection, context, input.ruleSet);
    if (record.decision !== 'reject') return flags[DRIFT_FLAG] ? 'heal-drift' : undefined;
    // A person's denial is an explicit revoke, whatever onRevoke says.
    const denied = record.operator?.verdict === 'deny' && record.operator.decided;
    if (input.settings.onRevoke === 'reject' || denied) {
      return { connection, record, outcome: 'revoked', action: 'reject' };
    }
    if (flags[DRIFT_FLAG]) return undefined;
    return { connection, record, outcome: 'drift', action: 'none', onceFlag: DRIFT_FLAG };
  }
  return undefined;
}

function withReason(record: DecisionRecord, reason: string): DecisionRecord {
  return { ...record, reasons: [...record.reasons, reason] };
}

function formatMs(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${ms} ms`;
}

/**
 * Accepted endpoints per account from one service's connections: the count an accept
 * rule's limit is checked against.
 */
export function countAcceptedByAccount(connections: readonly Connection[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const connection of connections) {
    if (!counts.has(connection.account)) counts.set(connection.account, 0);
    if (LIVE_STATES.has(connection.state)) {
      counts.set(connection.account, (counts.get(connection.account) ?? 0) + 1);
    }
  }
  return counts;
}
