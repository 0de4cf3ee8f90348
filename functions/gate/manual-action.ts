/**
 * A person's own `AcceptVpcEndpointConnections` / `RejectVpcEndpointConnections`, seen in
 * CloudTrail, recorded from what EC2 did (DESIGN §4), never from what was asked:
 *  - an endpoint EC2 refused (in the answer's `unsuccessful` items, or the whole call
 *    failed) is a failed attempt, and one whose state does not show the action is too;
 *  - the gate's own calls, whatever credentials made them, are recognised by request id:
 *    a ledger entry or an intent on the endpoint that carries it. While an intent of the
 *    gate's is unfinished on the endpoint the call may be its own: the event is thrown
 *    back to be retried once the intent is recorded;
 *  - each person's call is recorded once (a once-flag per request id), with `actor` the
 *    caller's ARN.
 */
import type { Connection } from '../core/connection.ts';
import type { CloudTrailDetail } from './cloudtrail-detail.ts';
import { ledgerEntry } from './ledger-entry.ts';
import { idsIn } from './named-ids.ts';
import type {
  EndpointServices,
  EndpointStates,
  GateEvents,
  Ledger,
  LedgerEntry,
  Notifier,
  Outcome,
} from './ports.ts';

export type ManualAction = 'accept' | 'reject';

/**
 * Thrown back so the event is delivered again once the gate's own action is recorded: an
 * expected wait, not a fault (`expectedRetry` tells the local cloud not to report it).
 */
export class GateCallInFlightError extends Error {
  override name = 'GateCallInFlightError';
  readonly expectedRetry = true;
}

export interface ManualActionDeps {
  endpointServices: EndpointServices;
  ledger: Ledger;
  endpointStates: EndpointStates;
  notifier: Notifier;
  events: GateEvents;
  /** IAM role ARNs of the gate's own functions: their accepts and rejects are not manual. */
  gateRoleArns: readonly string[];
  rulesVersion: () => Promise<number>;
  now: () => Date;
  log?: (message: string, data: Record<string, unknown>) => void;
}

export type ManualResult = { kind: 'manual'; entries: LedgerEntry[] } | { kind: 'ignored'; why: string };

/** What the refused items of the answer say, by endpoint id, however the answer is shaped. */
export function refusedIn(responseElements: unknown): Map<string, { code: string; message: string }> {
  const refused = new Map<string, { code: string; message: string }>();
  const visit = (value: unknown, inUnsuccessful: boolean): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, inUnsuccessful);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const fields = Object.entries(value);
    if (inUnsuccessful) {
      const resource = fields.find(([k]) => k.toLowerCase() === 'resourceid')?.[1];
      const error = fields.find(([k]) => k.toLowerCase() === 'error')?.[1];
      if (typeof resource === 'string' && /^vpce-[0-9a-f]+$/.test(resource)) {
        refused.set(resource, errorOf(error));
        return;
      }
    }
    for (const [key, child] of fields) visit(child, inUnsuccessful || key.toLowerCase() === 'unsuccessful');
  };
  visit(responseElements, false);
  return refused;
}

function errorOf(error: unknown): { code: string; message: string } {
  if (error === null || typeof error !== 'object') return { code: 'Unknown', message: '' };
  const get = (name: string): unknown => Object.entries(error).find(([k]) => k.toLowerCase() === name)?.[1];
  const code = get('code');
  const message = get('message');
  return {
    code: typeof code === 'string' ? code : 'Unknown',
    message: typeof message === 'string' ? message : '',
  };
}

const DONE_STATES: Record<ManualAction, ReadonlySet<string>> = {
  accept: new Set(['pending', 'available']),
  reject: new Set(['rejected']),
};
/** Request ids make once-flag names; anything else gets no flag and relies on the ledger's idempotent append. */
const FLAGGABLE_REQUEST_ID = /^[A-Za-z0-9-]{1,52}$/;

export async function recordManualAction(
  action: ManualAction,
  detail: CloudTrailDetail,
  deps: ManualActionDeps,
): Promise<ManualResult> {
  if (detail.errorCode?.endsWith('DryRunOperation'))
    return { kind: 'ignored', why: 'a dry run changes nothing' };
  const actor =
    detail.userIdentity?.sessionContext?.sessionIssuer?.arn ?? detail.userIdentity?.arn ?? 'unknown';
  if (deps.gateRoleArns.includes(actor)) return { kind: 'ignored', why: 'the gate made this call itself' };
  // The ids asked for: from the request only; the answer says which of them EC2 refused.
  const { serviceIds, endpointIds } = idsIn(JSON.stringify(detail.requestParameters ?? null));
  const serviceId = serviceIds[0];
  if (!serviceId || endpointIds.length === 0) return { kind: 'ignored', why: 'names no service or endpoint' };
  if (!(await deps.endpointServices.isManaged(serviceId)))
    return { kind: 'ignored', why: 'names no managed service' };

  const requestId = detail.requestID;
  if (requestId !== undefined && (await isGateCall(requestId, endpointIds, deps))) {
    return { kind: 'ignored', why: `the gate made this call itself (request ${requestId})` };
  }
  const flag =
    requestId !== undefined && FLAGGABLE_REQUEST_ID.test(requestId) ? `cloudtrail:${requestId}` : undefined;
  const states = await deps.endpointStates.states(endpointIds);
  const pending = endpointIds.filter((id) => !(flag && states.get(id)?.flags[flag]));
  if (pending.length === 0) return { kind: 'ignored', why: 'already recorded' };

  // What EC2 did: its answer's refusals, and the connections as they are now.
  const refused = refusedIn(detail.responseElements);
  const connections = await deps.endpointServices.describeConnections(serviceId, { endpointIds: pending });
  const byId = new Map(connections.map((c) => [c.endpointId, c]));
  const rulesVersion = await deps.rulesVersion();
  const at = eventTime(detail) ?? deps.now().toISOString();
  const entries: LedgerEntry[] = [];
  for (const endpointId of pending) {
    const connection = byId.get(endpointId);
    if (!connection) {
      deps.log?.('hand action on an endpoint EC2 no longer shows: not recorded', { endpointId, requestId });
      continue;
    }
    const entry = entryFor(action, detail, connection, refused.get(endpointId), { actor, at, rulesVersion });
    await deps.ledger.append(entry);
    if (flag && !(await deps.endpointStates.setFlagOnce(endpointId, flag, deps.now()))) continue;
    await deps.notifier.publish({ kind: 'decision', entry });
    entries.push(entry);
  }
  if (entries.length > 0) await deps.events.decisions(entries);
  return { kind: 'manual', entries };
}

/** True when a ledger entry or an intent of the gate's carries the request id; throws while an intent of the gate's is unfinished. */
async function isGateCall(
  requestId: string,
  endpointIds: string[],
  deps: ManualActionDeps,
): Promise<boolean> {
  const states = await deps.endpointStates.states(endpointIds);
  for (const id of endpointIds) {
    const intent = states.get(id)?.intent;
    if (intent?.entry.requestId === requestId) return true;
    if (intent && !intent.done && intent.entry.action !== 'none') {
      throw new GateCallInFlightError(
        `${id}: the gate's ${intent.entry.action} is not yet recorded; request ${requestId} may be its own, retry later`,
      );
    }
  }
  for (const id of endpointIds) {
    const history = await deps.ledger.history({ endpointId: id, limit: 100 });
    if (history.some((entry) => entry.requestId === requestId && entry.trigger !== 'cloudtrail')) return true;
  }
  return false;
}

function entryFor(
  action: ManualAction,
  detail: CloudTrailDetail,
  connection: Connection,
  refusal: { code: string; message: string } | undefined,
  context: { actor: string; at: string; rulesVersion: number },
): LedgerEntry {
  const verb = action === 'accept' ? 'accepted' : 'rejected';
  const when = detail.eventTime ? ` at ${detail.eventTime}` : '';
  const done = !refusal && !detail.errorCode && DONE_STATES[action].has(connection.state);
  const error =
    refusal ??
    (detail.errorCode
      ? { code: detail.errorCode, message: detail.errorMessage ?? '' }
      : { code: 'NotApplied', message: `EC2 shows the connection ${connection.state}` });
  const outcome: Outcome = done ? verb : 'failed';
  return ledgerEntry({
    at: context.at,
    connection,
    trigger: 'cloudtrail',
    decision: action,
    reasons: [
      done
        ? `${verb} by hand (${detail.eventName}) by ${context.actor}${when}`
        : `${detail.eventName} by hand by ${context.actor}${when} was refused by EC2: ${error.code}${
            error.message ? ` (${error.message})` : ''
          }`,
    ],
    action,
    outcome,
    rulesVersion: context.rulesVersion,
    person: { actor: context.actor },
    ...(done ? {} : { error }),
    ...(detail.requestID === undefined ? {} : { requestId: detail.requestID }),
  });
}

function eventTime(detail: CloudTrailDetail): string | undefined {
  if (!detail.eventTime) return undefined;
  const ms = Date.parse(detail.eventTime);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
