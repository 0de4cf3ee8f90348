/**
 * Operators' approvals and denials outlive nothing: once their endpoint is gone (deleted,
 * or no longer listed by EC2) the sweep removes them and says so in the ledger, so that a
 * decision about one endpoint never lingers in the rules table.
 */
import { OPERATOR_KINDS } from '../core/rules/operator-decisions.ts';
import type { DecideDeps } from './decide-service.ts';
import { ledgerEntry } from './ledger-entry.ts';
import type { LedgerEntry, RulesItemWriter } from './ports.ts';
import type { LoadedRules } from './rules-cache.ts';

const GONE_STATES: ReadonlySet<string> = new Set(['deleting', 'deleted']);

/**
 * `listed`: every connection of the service with its state, when the caller has just read them
 * all (a sweep that paged through the service in one invocation); otherwise EC2 is asked.
 */
export async function removeGoneDecisions(
  serviceId: string,
  rules: LoadedRules,
  writer: RulesItemWriter,
  deps: Pick<DecideDeps, 'endpointServices' | 'ledger' | 'now'>,
  listed?: ReadonlyMap<string, string>,
): Promise<LedgerEntry[]> {
  const decisions = [...(rules.ruleSet.operatorDecisions?.values() ?? [])].filter(
    (d) => d.serviceId === serviceId,
  );
  if (decisions.length === 0) return [];
  const stateOf =
    listed ??
    new Map(
      (
        await deps.endpointServices.describeConnections(serviceId, {
          endpointIds: decisions.map((d) => d.endpointId),
        })
      ).map((c) => [c.endpointId, c.state]),
    );
  const goneNow = decisions.filter((d) => {
    const state = stateOf.get(d.endpointId);
    return state === undefined || GONE_STATES.has(state);
  });
  // Two sweeps may find the same record (the schedule's and an operator's): only the one
  // whose delete removed it writes the ledger entry, so a removal is recorded once.
  const gone = [];
  for (const d of goneNow) {
    if (await writer.deleteItemIfPresent({ kind: OPERATOR_KINDS[d.verdict], id: d.endpointId })) gone.push(d);
  }
  if (gone.length === 0) return [];
  await writer.bumpVersion();
  const at = deps.now().toISOString();
  const entries = gone.map(
    (d): LedgerEntry =>
      ledgerEntry({
        at,
        connection: {
          endpointId: d.endpointId,
          serviceId,
          account: d.account,
          state: stateOf.get(d.endpointId) ?? 'deleted',
        },
        trigger: 'sweep',
        decision: d.verdict === 'approve' ? 'accept' : 'reject',
        reasons: [
          `the ${d.verdict === 'approve' ? 'approval' : 'denial'} by ${d.actor} of ${d.at} is removed: the endpoint is gone`,
        ],
        outcome: 'deleted',
        rulesVersion: rules.version,
        person: { actor: d.actor, ...(d.reason ? { reason: d.reason } : {}) },
      }),
  );
  // The ledger only: a removal is bookkeeping, not a decision anyone must be told about.
  for (const entry of entries) await deps.ledger.append(entry);
  return entries;
}
