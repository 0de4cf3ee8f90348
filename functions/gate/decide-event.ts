import { countAcceptedByAccount } from '../core/decide.ts';
import type { ConnectionEventDetail } from '../shared/events.ts';
import { type DecideDeps, decideService } from './decide-service.ts';
import { recordGone } from './deletions.ts';
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
  return decideServiceEvents(detail.serviceId, [detail], deps);
}

/**
 * A batch of events, grouped by service and decided together: per service one describe of
 * every endpoint the events name (the whole service when one names none) and one
 * `decideService` with all those connections, which acts in one Accept and one Reject call.
 * Services are decided one after another; a fault of one service rejects its own promise
 * only, so its events are retried and the others' are done.
 */
export function decideConnectionEvents(
  details: readonly ConnectionEventDetail[],
  deps: DecideEventDeps,
): Map<string, Promise<DecideEventResult>> {
  const byService = new Map<string, ConnectionEventDetail[]>();
  for (const detail of details) {
    byService.set(detail.serviceId, [...(byService.get(detail.serviceId) ?? []), detail]);
  }
  const results = new Map<string, Promise<DecideEventResult>>();
  let previous: Promise<unknown> = Promise.resolve();
  for (const [serviceId, events] of byService) {
    const result = previous.then(() => decideServiceEvents(serviceId, events, deps));
    previous = result.catch(() => undefined);
    results.set(serviceId, result);
  }
  return results;
}

async function decideServiceEvents(
  serviceId: string,
  events: readonly ConnectionEventDetail[],
  deps: DecideEventDeps,
): Promise<DecideEventResult> {
  // A notification relies on what the container knows; any other trigger (a CloudTrail
  // change of the service, a manual request) asks EC2 again.
  const fresh = events.some((e) => e.trigger !== 'notification');
  if (!(await deps.endpointServices.isManaged(serviceId, { fresh }))) return { status: 'unmanaged' };
  const wholeService = events.some((e) => e.endpointId === undefined);
  const endpointIds = [...new Set(events.flatMap((e) => (e.endpointId ? [e.endpointId] : [])))];
  const connections = await deps.endpointServices.describeConnections(
    serviceId,
    wholeService ? undefined : { endpointIds },
  );
  const rules = await deps.rules.current();
  // A Delete notification, or a late event, for an endpoint EC2 has forgotten.
  const described = new Set(connections.map((c) => c.endpointId));
  const gone: LedgerEntry[] = [];
  for (const event of events) {
    if (!event.endpointId || described.has(event.endpointId)) continue;
    described.add(event.endpointId);
    gone.push(...(await recordGone(serviceId, event.endpointId, { trigger: event.trigger, rules }, deps)));
  }
  if (connections.length === 0) {
    return gone.length > 0 ? { status: 'decided', entries: gone } : { status: 'no-connection' };
  }
  // A whole-service read already holds every account's accepted endpoints.
  const acceptedByAccount = wholeService ? countAcceptedByAccount(connections) : undefined;
  const trigger = (events.find((e) => e.endpointId === undefined) ?? events[0])?.trigger ?? 'notification';
  const entries = await decideService(
    { serviceId, connections, trigger, rules, acceptedByAccount, leaseWaitingFirst: !wholeService },
    deps,
  );
  return { status: 'decided', entries: [...gone, ...entries] };
}
