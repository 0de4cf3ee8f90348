/**
 * Ingest: turns connection notifications and the provider's CloudTrail calls into
 * `Connection Event`s on the gate's bus. A notification's body is undocumented, so it
 * is read only for ids, leniently, and only a managed service's ids cause work.
 */
import { type RuleSet, settingsFor } from '../core/rules/rule-set.ts';
import { gateNow } from '../shared/clock.ts';
import type { ConnectionEventDetail } from '../shared/events.ts';
import { enrollService } from './enroll.ts';
import { type ManualAction, recordManualAction } from './manual-action.ts';
import { causedByGate, noticeEventIn } from './own-notices.ts';
import type { EndpointServices, GateEvents, Ledger, LedgerEntry, Notifier } from './ports.ts';

const SERVICE_ID = /vpce-svc-[0-9a-f]{8,17}/g;
const ENDPOINT_ID = /vpce-(?!svc-)[0-9a-f]{8,17}/g;

export interface NamedIds {
  serviceIds: string[];
  endpointIds: string[];
}

/** Service and endpoint ids anywhere in a text, each once, in order of appearance. */
export function idsIn(text: string): NamedIds {
  return {
    serviceIds: [...new Set(text.match(SERVICE_ID) ?? [])],
    endpointIds: [...new Set(text.match(ENDPOINT_ID) ?? [])],
  };
}

export interface IngestDeps {
  endpointServices: EndpointServices;
  events: GateEvents;
  log?: (message: string, data: Record<string, unknown>) => void;
}

export interface NotificationDeps extends IngestDeps {
  /** The gate's records, to recognise the notices its own actions cause; without it every notice is forwarded. */
  ledger?: Pick<Ledger, 'states'>;
  now?: () => Date;
}

export interface IngestResult {
  forwarded: ConnectionEventDetail[];
  /** Messages or ids dropped because they named no managed service. */
  dropped: number;
  /** Notices of the gate's own accepts and rejects, not forwarded. */
  own: number;
}

/** Checks each service once per invocation; `fresh` asks EC2 whatever a cache knows. */
function managedCheck(
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
  if (!deps.ledger) return own;
  const candidates = messages.flatMap((message, index) => {
    const event = noticeEventIn(message.body);
    if (event !== 'Accept' && event !== 'Reject') return [];
    return idsIn(message.body).endpointIds.map((endpointId) => ({ endpointId, event, index }));
  });
  if (candidates.length === 0) return own;
  const states = await deps.ledger.states([...new Set(candidates.map((c) => c.endpointId))]);
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
    for (const serviceId of managed) {
      if (endpointIds.length === 0)
        result.forwarded.push({ serviceId, trigger: 'notification', raw: message.raw });
      for (const endpointId of endpointIds) {
        result.forwarded.push({ serviceId, endpointId, trigger: 'notification', raw: message.raw });
      }
    }
  }
  if (result.forwarded.length > 0) await deps.events.connectionEvents(result.forwarded);
  return result;
}

export interface CloudTrailDetail {
  eventName: string;
  eventTime?: string;
  errorCode?: string;
  errorMessage?: string;
  /** The EC2 request id of the call: the gate's own calls are recognised by it. */
  requestID?: string;
  requestParameters?: unknown;
  responseElements?: unknown;
  userIdentity?: { arn?: string; sessionContext?: { sessionIssuer?: { arn?: string } } };
}

export interface CloudTrailDeps extends IngestDeps {
  ledger: Ledger;
  notifier: Notifier;
  ingestTopicArn: string;
  /** IAM role ARNs of the gate's own functions: their accepts and rejects are not manual. */
  gateRoleArns: readonly string[];
  rulesVersion: () => Promise<number>;
  /** The current rule set: enrollment leaves alone a service that is off or held. */
  ruleSet: () => Promise<RuleSet>;
  now: () => Date;
  /** Who holds the enrollment lease (the invocation). */
  holder: string;
}

export type CloudTrailResult =
  | { kind: 'enrolled'; services: string[]; forwarded: ConnectionEventDetail[] }
  | { kind: 'manual'; entries: LedgerEntry[] }
  | { kind: 'ignored'; why: string };

const SERVICE_CHANGES = new Set([
  'CreateVpcEndpointServiceConfiguration',
  'ModifyVpcEndpointServiceConfiguration',
  'CreateTags',
]);
const MANUAL_ACTIONS: Record<string, ManualAction> = {
  AcceptVpcEndpointConnections: 'accept',
  RejectVpcEndpointConnections: 'reject',
};

/** The provider's own EC2 calls, as CloudTrail puts them on the default bus. */
export async function ingestCloudTrail(
  detail: CloudTrailDetail,
  deps: CloudTrailDeps,
): Promise<CloudTrailResult> {
  // A person's accept or reject that EC2 refused is still recorded, as a failed attempt.
  if (detail.errorCode && !MANUAL_ACTIONS[detail.eventName])
    return { kind: 'ignored', why: `the call failed with ${detail.errorCode}` };
  if (SERVICE_CHANGES.has(detail.eventName)) {
    const text = JSON.stringify([detail.requestParameters ?? null, detail.responseElements ?? null]);
    const { serviceIds } = idsIn(text);
    // The call may just have tagged or created the service: what a cache knows is stale.
    const isManaged = managedCheck(deps.endpointServices, true);
    const services: string[] = [];
    const ruleSet = serviceIds.length > 0 ? await deps.ruleSet() : undefined;
    for (const serviceId of serviceIds) {
      if (!(await isManaged(serviceId))) continue;
      // An off service is the operator's to run; a held one has settings nobody can read.
      const settings = ruleSet && settingsFor(ruleSet, serviceId);
      if (settings?.mode === 'off' || settings?.held) {
        deps.log?.('service not enrolled: it is off or held', { serviceId });
        continue;
      }
      await enrollService(serviceId, deps.ingestTopicArn, deps);
      services.push(serviceId);
    }
    if (services.length === 0) return { kind: 'ignored', why: 'names no managed service that is on' };
    const forwarded = services.map(
      (serviceId): ConnectionEventDetail => ({ serviceId, trigger: 'cloudtrail' }),
    );
    await deps.events.connectionEvents(forwarded);
    return { kind: 'enrolled', services, forwarded };
  }

  const action = MANUAL_ACTIONS[detail.eventName];
  if (!action) return { kind: 'ignored', why: `${detail.eventName} is not a call the gate follows` };
  return recordManualAction(action, detail, deps);
}
