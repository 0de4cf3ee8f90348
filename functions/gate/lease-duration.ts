/**
 * How long a decider's lease on an endpoint (or a limited account) lasts. A lease must
 * outlast everything its holder can still do under it (functions/aws/call-budget.ts), and
 * no longer: while it holds, a request whose holder died waits for it to run out.
 *
 * A Lambda invocation can do nothing after its timeout, so its leases last its time left
 * plus a margin for clock skew between containers: decide's (60 s timeout) end at most 75 s
 * after it starts, and its queue gives the message again after that (infra/constructs/
 * decide-queue.ts), so a request whose decider died is decided again within two minutes.
 * A holder with no deadline (the CLI) leases for the longest stretch a call can take.
 */
/** For a holder with no deadline: longer than the longest renewing write and EC2 action after it. */
export const DEFAULT_LEASE_MS = 360_000;
/** Beyond a Lambda holder's deadline: clock skew between the holder and the next decider. */
export const LEASE_MARGIN_MS = 15_000;

export interface LeaseHolder {
  /** The holder's time left, when it has a deadline (a Lambda invocation's remaining time). */
  remainingMs?: () => number;
}

/** The lease length for a write made now by this holder. */
export function leaseMsFor(holder: LeaseHolder): number {
  const remaining = holder.remainingMs?.();
  if (remaining === undefined || !Number.isFinite(remaining)) return DEFAULT_LEASE_MS;
  return Math.min(DEFAULT_LEASE_MS, Math.max(0, remaining) + LEASE_MARGIN_MS);
}
