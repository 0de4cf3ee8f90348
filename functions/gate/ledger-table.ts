/**
 * The ledger's two stores as the one object decide-service takes as its `ledger`: the
 * history and the endpoints' states live in the same table, and a decider uses both.
 */
import type { EndpointStates, Ledger, LedgerTable } from './ports.ts';

export function ledgerTable(ledger: Ledger, endpointStates: EndpointStates): LedgerTable {
  return {
    append: (entry) => ledger.append(entry),
    appendRuleProblem: (entry) => ledger.appendRuleProblem(entry),
    history: (query) => ledger.history(query),
    states: (endpointIds) => endpointStates.states(endpointIds),
    acquireLease: (key, holder, now, leaseMs) => endpointStates.acquireLease(key, holder, now, leaseMs),
    renewLease: (lease, now, leaseMs) => endpointStates.renewLease(lease, now, leaseMs),
    releaseLease: (lease, lastOutcome) => endpointStates.releaseLease(lease, lastOutcome),
    writeIntent: (lease, intent, now, leaseMs) => endpointStates.writeIntent(lease, intent, now, leaseMs),
    clearIntent: (lease, intentId) => endpointStates.clearIntent(lease, intentId),
    recordIntent: (lease, intent, noticeFlag, now, leaseMs) =>
      endpointStates.recordIntent(lease, intent, noticeFlag, now, leaseMs),
    finishIntent: (lease, intentId, finish) => endpointStates.finishIntent(lease, intentId, finish),
    setFlagOnce: (endpointId, flag, now) => endpointStates.setFlagOnce(endpointId, flag, now),
    clearFlag: (endpointId, flag) => endpointStates.clearFlag(endpointId, flag),
  };
}
