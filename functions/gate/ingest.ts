/**
 * Ingest: turns connection notifications into `Connection Event`s on the gate's bus (the
 * provider's CloudTrail calls are cloudtrail.ts's). A notification's body is undocumented,
 * so it is read only for ids, leniently, and only a managed service's ids cause work.
 */
import type { ServicePlace } from '../core/connection.ts';
import { gateNow } from '../shared/clock.ts';
import type { ConnectionEventDetail } from '../shared/events.ts';
import { idsIn } from './named-ids.ts';
import { causedByGate, noticeEventIn } from './own-notices.ts';
import type { EndpointServices, EndpointStates, GateEvents } from './ports.ts';

export interface IngestDeps {
  endpointServices: EndpointServices;
  events: GateEvents;
  log?: (message: string, data: Record<string, unknown>) => void;
}

export interface NotificationDeps extends IngestDeps {
  /** The gate's records, to recognise the notices its own actions cause; without it every notice is forwarded. */
  endpointStates?: Pick<EndpointStates, 'states'>;
  now?: () => Date;
  /** Fleets: the member account and region the notifications came from (their spoke topic's), carried on every event. */
  place?: ServicePlace;
}

export interface IngestResult {
  forwarded: ConnectionEventDetail[];
  /** Messages or ids dropped because they named no managed service. */
  dropped: number;
  /** Notices of the gate's own accepts and rejects, not forwarded. */
  own: number;
}

/** Checks each service once per invocation; `fresh` asks EC2 whatever a cache knows. */
export function managedCheck(
  endpointServices: EndpointServices,
  fresh = false,
): (serviceId: string) => Promise<boolean> {
  const seen = new Map<string, Promise<boolean>>();
  return (serviceId) => {
    let managed = seen.get(serviceId);
    if (!managed) {
      managed = endpointServices.isManaged(serviceId, { fresh });
      seen.set(serviceId, managed);
    }
    return managed;
  };
}

/**
 * Endpoints (keyed `<message index> <endpointId>`) whose Accept or Reject notice the gate's
 * own action explains; one read of their states for the whole batch.
 */
async function ownNotices(messages: { body: string }[], deps: NotificationDeps): Promise<Set<string>> {
  const own = new Set<string>();
  if (!deps.endpointStates) return own;
  const candidates = messages.flatMap((message, index) => {
    const event = noticeEventIn(message.body);
    if (event !== 'Accept' && event !== 'Reject') return [];
    return idsIn(message.body).endpointIds.map((endpointId) => ({ endpointId, event, index }));
  });
  if (candidates.length === 0) return own;
  const states = await deps.endpointStates.states([...new Set(candidates.map((c) => c.endpointId))]);
  const now = (deps.now ?? gateNow)();
  for (const { endpointId, event, index } of candidates) {
    if (causedByGate(event, states.get(endpointId), now)) own.add(`${index} ${endpointId}`);
  }
  return own;
}

/** Connection notifications (SNS message bodies) to connection events. */
export async function ingestNotifications(
  messages: { body: string; raw: unknown }[],
  deps: NotificationDeps,
): Promise<IngestResult> {
  const isManaged = managedCheck(deps.endpointServices);
  const result: IngestResult = { forwarded: [], dropped: 0, own: 0 };
  const gateOwn = await ownNotices(messages, deps);
  for (const [index, message] of messages.entries()) {
    const { serviceIds, endpointIds: named } = idsIn(message.body);
    const endpointIds = named.filter((id) => !gateOwn.has(`${index} ${id}`));
    if (named.length > 0 && endpointIds.length === 0) {
      result.own += 1;
      deps.log?.("notification of the gate's own action", { serviceIds, endpointIds: named });
      continue;
    }
    const managed: string[] = [];
    for (const serviceId of serviceIds) if (await isManaged(serviceId)) managed.push(serviceId);
    if (managed.length === 0) {
      result.dropped += 1;
      deps.log?.('notification names no managed service', { serviceIds, endpointIds });
      continue;
    }
    const place = deps.place ? { serviceAccount: deps.place.account, serviceRegion: deps.place.region } : {};
    for (const serviceId of managed) {
      if (endpointIds.length === 0)
        result.forwarded.push({ serviceId, trigger: 'notification', raw: message.raw, ...place });
      for (const endpointId of endpointIds) {
        result.forwarded.push({ serviceId, endpointId, trigger: 'notification', raw: message.raw, ...place });
      }
    }
  }
  if (result.forwarded.length > 0) await deps.events.connectionEvents(result.forwarded);
  return result;
}
