/**
 * A consumer's deletion of its endpoint, recorded once (the `deleted` once-flag) for the
 * endpoints the gate has kept state for: from a connection EC2 shows `deleted`, or for an
 * endpoint EC2 no longer shows at all.
 */
import type { Connection } from '../core/connection.ts';
import type { PlanInput, PlannedDecision } from '../core/decide.ts';
import { evaluate } from '../core/evaluate.ts';
import type { EvaluationContext } from '../core/evaluation-context.ts';
import type { DecideDeps, DecideServiceInput } from './decide-service.ts';
import { finishIntents, intentDepsOf } from './intents.ts';
import { LeaseSet } from './lease-set.ts';
import { ledgerEntry } from './ledger-entry.ts';
import type { EndpointState, Intent, LedgerEntry } from './ports.ts';

/** Once-flag of the `deleted` entry: a consumer's deletion is recorded once. */
export const DELETED_FLAG = 'deleted';

/** Deleted connections of endpoints the gate has kept state for, whose deletion is not yet recorded. */
export function deletionsToRecord(
  connections: readonly Connection[],
  states: Map<string, EndpointState>,
): Connection[] {
  return connections.filter((c) => {
    const state = states.get(c.endpointId);
    return c.state === 'deleted' && state !== undefined && !state.flags[DELETED_FLAG];
  });
}

/**
 * An endpoint EC2 no longer shows at all (its consumer deleted it and EC2 forgot it): its
 * deletion is recorded once, as `deleted`, when the gate has kept state for it, with the
 * account and decision of its last entry. Returns the entry written, if any.
 */
export async function recordGone(
  serviceId: string,
  endpointId: string,
  input: Pick<DecideServiceInput, 'trigger' | 'rules'>,
  deps: DecideDeps,
): Promise<LedgerEntry[]> {
  const state = (await deps.ledger.states([endpointId])).get(endpointId);
  if (!state || state.flags[DELETED_FLAG]) return [];
  const [last] = await deps.ledger.history({ endpointId, limit: 1 });
  if (!last || last.serviceId !== serviceId) return [];
  const leases = new LeaseSet(deps);
  try {
    const [leased] = await leases.takeEndpoints([endpointId]);
    if (!leased) return [];
    const lease = leases.endpoint(endpointId);
    const intent: Intent = {
      id: `i${lease.token}`,
      token: lease.token,
      done: true,
      onceFlag: DELETED_FLAG,
      entry: ledgerEntry({
        at: deps.now().toISOString(),
        connection: {
          endpointId,
          serviceId,
          account: last.account,
          state: 'deleted',
          ...(last.serviceAccount === undefined ? {} : { serviceAccount: last.serviceAccount }),
          ...(last.serviceRegion === undefined ? {} : { serviceRegion: last.serviceRegion }),
        },
        trigger: input.trigger,
        decision: last.decision,
        reasons: ['the consumer deleted its endpoint: EC2 no longer shows it'],
        outcome: 'deleted',
        rulesVersion: input.rules.version,
        ...(deps.actor === undefined ? {} : { person: { actor: deps.actor } }),
      }),
    };
    if (!(await deps.ledger.writeIntent(lease, intent, deps.now(), leases.leaseMs))) return [];
    leases.outcomes.set(endpointId, 'deleted');
    return await finishIntents([{ lease, intent }], intentDepsOf(deps, leases.leaseMs), {
      release: (id) => leases.released(id),
    });
  } finally {
    await leases.releaseAll();
  }
}

/** A consumer deleted its endpoint: recorded once (the once-flag), with what the rules say of it now. */
export function deletionDecision(connection: Connection, planInput: PlanInput): PlannedDecision {
  const context: EvaluationContext = { now: planInput.now };
  if (planInput.serviceRegion) context.serviceRegion = planInput.serviceRegion;
  const record = evaluate(connection, context, planInput.ruleSet);
  return {
    connection,
    record: { ...record, reasons: [...record.reasons, 'the consumer deleted its endpoint'] },
    outcome: 'deleted',
    action: 'none',
    dryRun: false,
    onceFlag: DELETED_FLAG,
  };
}
