/**
 * Every ledger entry is made here, and described here in the one phrase that says who or
 * what decided it: the notice, the demo's summary and `plgate history` all read it the same.
 *
 * An approval or denial is its person's, whoever carries it out: a decision, the sweep or
 * the Slack button acting on it writes the person's actor, reason and time, with trigger
 * `manual` and the carrier named in `carriedBy`.
 */
import type { DecisionRecord, Effect } from '../core/decision-record.ts';
import type { Trigger } from '../shared/events.ts';
import type { LedgerEntry, Outcome } from './ports.ts';

/** The person an entry is recorded for. */
export interface Person {
  actor: string;
  reason?: string;
  /** When they decided, for an approval or denial carried out later. */
  decidedAt?: string;
  carriedBy?: Trigger;
}

export interface EntryFacts {
  at: string;
  /** The connection as the entry was made on it. */
  connection: {
    endpointId: string;
    serviceId: string;
    account: string;
    state: string;
    serviceAccount?: string;
    serviceRegion?: string;
  };
  trigger: Trigger;
  decision: Effect;
  outcome: Outcome;
  reasons: string[];
  rulesVersion: number;
  action?: LedgerEntry['action'];
  rule?: string | null;
  matched?: string[];
  dryRun?: boolean;
  person?: Person;
  error?: { code: string; message: string };
  requestId?: string;
}

export function ledgerEntry(facts: EntryFacts): LedgerEntry {
  const { connection, person } = facts;
  return {
    at: facts.at,
    endpointId: connection.endpointId,
    serviceId: connection.serviceId,
    account: connection.account,
    trigger: facts.trigger,
    decision: facts.decision,
    rule: facts.rule ?? null,
    matched: facts.matched ?? [],
    reasons: facts.reasons,
    action: facts.action ?? 'none',
    outcome: facts.outcome,
    dryRun: facts.dryRun ?? false,
    rulesVersion: facts.rulesVersion,
    state: connection.state,
    ...(facts.error === undefined ? {} : { error: facts.error }),
    ...(person === undefined ? {} : { actor: person.actor }),
    ...(person?.reason === undefined ? {} : { reason: person.reason }),
    ...(person?.decidedAt === undefined ? {} : { decidedAt: person.decidedAt }),
    ...(person?.carriedBy === undefined ? {} : { carriedBy: person.carriedBy }),
    ...(facts.requestId === undefined ? {} : { requestId: facts.requestId }),
    ...(connection.serviceAccount === undefined ? {} : { serviceAccount: connection.serviceAccount }),
    ...(connection.serviceRegion === undefined ? {} : { serviceRegion: connection.serviceRegion }),
  };
}

/**
 * Whose entry a decision makes: the person whose approval or denial decided it (trigger
 * `manual`, whatever carried it out), else the person the run acts for, if any.
 */
export function recordedFor(
  record: Pick<DecisionRecord, 'operator'>,
  trigger: Trigger,
  runFor: { actor?: string; reason?: string },
): { trigger: Trigger; person?: Person } {
  const operator = record.operator;
  if (operator?.decided) {
    return {
      trigger: 'manual',
      person: {
        actor: operator.actor,
        ...(operator.reason === undefined ? {} : { reason: operator.reason }),
        decidedAt: operator.at,
        ...(trigger === 'manual' ? {} : { carriedBy: trigger }),
      },
    };
  }
  if (runFor.actor === undefined) return { trigger };
  return {
    trigger,
    person: { actor: runFor.actor, ...(runFor.reason === undefined ? {} : { reason: runFor.reason }) },
  };
}

type Decider = Pick<LedgerEntry, 'trigger' | 'decision' | 'rule' | 'actor'>;

/** True when a person decided the entry, so that `decidedBy` names them. */
export function decidedByPerson(entry: Decider): entry is Decider & { actor: string } {
  return entry.actor !== undefined && (entry.trigger === 'manual' || entry.trigger === 'cloudtrail');
}

/** Who or what decided the entry, in one phrase: "rule acme-prod", "approved by …", "default". */
export function decidedBy(entry: Decider): string {
  if (decidedByPerson(entry) && entry.trigger === 'manual')
    return `${entry.decision === 'accept' ? 'approved' : 'denied'} by ${entry.actor}`;
  if (decidedByPerson(entry))
    return `${entry.decision === 'accept' ? 'accepted' : 'rejected'} in EC2 by ${entry.actor}`;
  if (entry.rule !== null) return `rule ${entry.rule}`;
  return 'default';
}
