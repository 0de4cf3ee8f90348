/**
 * The time the gate's handlers decide at. In Lambda it is the system clock, always. The
 * local cloud can run it ahead (`InProcessGate.advanceClock`) to stand in for the minutes
 * between scheduled sweeps, so a chaos run sees leases run out as they would on AWS
 * without waiting for them; nothing in a Lambda bundle calls `advanceGateClock`.
 */
let aheadMs = 0;

export function gateNow(): Date {
  return new Date(Date.now() + aheadMs);
}

/** Runs the gate's clock further ahead of the system clock (never back). */
export function advanceGateClock(ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ms: must be a finite number >= 0, got ${ms}`);
  aheadMs += ms;
}
