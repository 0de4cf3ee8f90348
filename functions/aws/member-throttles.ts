/**
 * Throttled EC2 calls in each member region, as the hub's functions meet them: every attempt
 * EC2 throttles (which the SDK then retries) is counted in the container, and the counts are
 * added to the members' records when an invocation ends (`plgate fleet`'s "throttled" column).
 * Nothing is written while nothing is throttled, so a request's call budget is untouched.
 * Throttling is told as the SDK's own retries tell it (`isThrottlingError`).
 */
import { isThrottlingError } from '@smithy/core/retry';
import type { DeserializeMiddleware, MetadataBearer } from '@smithy/types';
import type { ServicePlace } from '../core/connection.ts';

type SdkError = Parameters<typeof isThrottlingError>[0];

export const isThrottled = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && isThrottlingError(error as SdkError);

export class MemberThrottles {
  readonly #pending = new Map<string, { place: ServicePlace; count: number }>();

  /** One throttled attempt in the member region (or `count` of them). */
  note(place: ServicePlace, count = 1): void {
    const key = `${place.account}:${place.region}`;
    const seen = this.#pending.get(key) ?? {
      place: { account: place.account, region: place.region },
      count: 0,
    };
    this.#pending.set(key, { ...seen, count: seen.count + count });
  }

  /** What was counted and not yet written. */
  pending(): { place: ServicePlace; count: number }[] {
    return [...this.#pending.values()].map((p) => ({ place: { ...p.place }, count: p.count }));
  }

  /**
   * Writes each member's count once and forgets it; a member whose write fails keeps its count
   * for the next flush. Resolves with the failures (never rejects: a record is not a decision).
   */
  async flush(write: (place: ServicePlace, count: number) => Promise<void>): Promise<unknown[]> {
    const taken = this.pending();
    this.#pending.clear();
    const failures: unknown[] = [];
    for (const { place, count } of taken) {
      try {
        await write(place, count);
      } catch (error) {
        failures.push(error);
        this.note(place, count);
      }
    }
    return failures;
  }
}

export const COUNT_THROTTLED_MIDDLEWARE = 'countThrottledMemberCalls';

/**
 * The member EC2 client's middleware that counts each throttled attempt. Added at the
 * deserialize step, inside the SDK's retries (finalizeRequest), so every attempt is seen.
 */
export function countThrottled(
  throttles: Pick<MemberThrottles, 'note'>,
  place: ServicePlace,
): DeserializeMiddleware<object, MetadataBearer> {
  return (next) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      if (isThrottled(error)) throttles.note(place);
      throw error;
    }
  };
}
