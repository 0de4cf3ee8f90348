/**
 * Connection notifications that the gate's own accepts and rejects cause: recognised from
 * the gate's records (the endpoint's state in the ledger table) instead of deciding the
 * endpoint again, which cost an event, a describe and two reads for nothing. The body of a
 * notification is undocumented, so the event it names is read leniently and used only to
 * skip work, never to act: a notice this cannot place is decided as before.
 */
import type { EndpointState, Outcome } from './ports.ts';

export type ConnectionNoticeEvent = 'Connect' | 'Accept' | 'Reject' | 'Delete';

const EVENT = /ConnectionEvent\\?"?\s*[:=]\s*\\?"?(Connect|Accept|Reject|Delete)\b/;

/** The connection event a notification body names, if it names exactly one. */
export function noticeEventIn(body: string): ConnectionNoticeEvent | undefined {
  const match = EVENT.exec(body);
  const event = match?.[1];
  return event === 'Connect' || event === 'Accept' || event === 'Reject' || event === 'Delete'
    ? event
    : undefined;
}

const CAUSED_BY: Partial<Record<ConnectionNoticeEvent, ReadonlySet<Outcome>>> = {
  Accept: new Set(['accepted']),
  Reject: new Set(['rejected', 'expired', 'revoked']),
};

const ACTION_OF: Partial<Record<ConnectionNoticeEvent, 'accept' | 'reject'>> = {
  Accept: 'accept',
  Reject: 'reject',
};

/**
 * True when the gate's own action explains the notice: its last outcome on the endpoint is
 * the one the notice reports, its write-ahead intent is that action (written before the EC2
 * call, so the notice cannot outrun it), or it holds the endpoint's action lease now (the
 * holder decides the endpoint on EC2's state anyway).
 */
export function causedByGate(
  event: ConnectionNoticeEvent | undefined,
  state: EndpointState | undefined,
  now: Date,
): boolean {
  const outcomes = event ? CAUSED_BY[event] : undefined;
  if (!outcomes || !state) return false;
  if (state.lastOutcome && outcomes.has(state.lastOutcome)) return true;
  if (event && state.intent && state.intent.entry.action === ACTION_OF[event] && !state.intent.entry.dryRun)
    return true;
  return state.lease !== undefined && Date.parse(state.lease.until) > now.getTime();
}
