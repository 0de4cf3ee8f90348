/**
 * API Gateway's throttling: a token bucket per stage (and per route with its own settings)
 * holding up to `burst` requests, refilled at `ratePerSecond` on the cloud's clock. A
 * request that finds it empty is answered 429.
 */
export class TokenBucket {
  #tokens: number;
  #lastRefill: number;

  constructor(
    readonly burst: number,
    readonly ratePerSecond: number,
    now: number,
  ) {
    if (!Number.isInteger(burst) || burst < 0)
      throw new RangeError(`ThrottlingBurstLimit: a whole number >= 0, got ${burst}`);
    if (!Number.isFinite(ratePerSecond) || ratePerSecond < 0)
      throw new RangeError(`ThrottlingRateLimit: a number >= 0, got ${ratePerSecond}`);
    this.#tokens = burst;
    this.#lastRefill = now;
  }

  /** Takes one token; false when the bucket is empty (the request is throttled). */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.#lastRefill);
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed / 1000) * this.ratePerSecond);
    this.#lastRefill = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
