/**
 * When the sweep asks a fleet member whether the hub may accept there (a `DryRun` accept):
 * not on every sweep, which would cost one EC2 call per member and region each time, but
 *
 * - when this container has not seen the member allowed, or saw it longer ago than the
 *   interval (by default an hour, a member session's lifetime);
 * - when the member could not be listed since (its role or spoke changed: ask again once it can);
 * - when one of its services failed in this sweep (a refused accept says more than a probe).
 *
 * So a role that loses accept is found within the interval, at once when a request waits on
 * it; an unhealthy member is probed on every sweep, so its recovery is seen at the next one.
 */
import type { MemberPlace } from './member-health.ts';

export const ACCEPT_PROBE_INTERVAL_MS = 60 * 60_000;

const keyOf = ({ account, region }: MemberPlace): string => `${account}:${region}`;

export class AcceptProbes {
  readonly #allowedAt = new Map<string, number>();
  readonly #intervalMs: number;

  constructor(intervalMs = ACCEPT_PROBE_INTERVAL_MS) {
    if (!Number.isFinite(intervalMs) || intervalMs < 0)
      throw new RangeError(`intervalMs must be a duration in milliseconds, got ${intervalMs}`);
    this.#intervalMs = intervalMs;
  }

  /** Whether to probe the member now; `failed`: one of its services failed in this sweep. */
  due(place: MemberPlace, now: Date, failed: boolean): boolean {
    const allowedAt = this.#allowedAt.get(keyOf(place));
    return failed || allowedAt === undefined || now.getTime() - allowedAt >= this.#intervalMs;
  }

  /** The probe said allowed. */
  allowed(place: MemberPlace, now: Date): void {
    this.#allowedAt.set(keyOf(place), now.getTime());
  }

  /** The probe was refused or had no answer, or the member could not be listed: ask next time. */
  forget(place: MemberPlace): void {
    this.#allowedAt.delete(keyOf(place));
  }
}
