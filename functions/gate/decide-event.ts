import { countAcceptedByAccount } from '../core/decide.ts';
import type { ConnectionEventDetail } from '../shared/events.ts';
import { type DecideDeps, decideService, recordGone } from './decide-service.ts';
import type { LedgerEntry } from './ports.ts';
import type { RuleSetCache } from './rules-cache.ts';

export interface DecideEventDeps extends DecideDeps {
  rules: RuleSetCache;
}

export type DecideEventResult =
  | { status: 'decided'; entries: LedgerEntry[] }
  | { status: 'unmanaged' }
  | { status: 'no-connection' };

/**
 * A `Connection Event` is a trigger, never a fact: the service must be managed now, and
 * the connections are read again from EC2 before anything is decided.
 */
export async function decideConnectionEvent(
  detail: ConnectionEventDetail,
  deps: DecideEventDeps,
): Promise<DecideEventResult> {
  if (!(await deps.endpointServices.isManaged(detail.serviceId))) return { status: 'unmanaged' };
  const connections = await deps.endpointServices.describeConnections(
    detail.serviceId,
    detail.endpointId ? { endpointIds: [detail.endpointId] } : undefined,
  );
  const rules = await deps.rules.current();
  if (connections.length === 0) {
    // A Delete notification, or a late event, for an endpoint EC2 has forgotten.
    const entries = detail.endpointId
      ? await recordGone(detail.serviceId, detail.endpointId, { trigger: detail.trigger, rules }, deps)
      : [];
    return entries.length > 0 ? { status: 'decided', entries } : { status: 'no-connection' };
  }
  // A whole-service read already holds every account's accepted endpoints.
  const acceptedByAccount = detail.endpointId ? undefined : countAcceptedByAccount(connections);
  const entries = await decideService(
    { serviceId: detail.serviceId, connections, trigger: detail.trigger, rules, acceptedByAccount },
    deps,
  );
  return { status: 'decided', entries };
}
