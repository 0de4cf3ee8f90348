/**
 * EC2 throttles each account and region with its own token buckets, so the hub paces its
 * EC2 calls the same way: one bucket per member account and region, shared by every adapter
 * of the container that calls there. A throttled member fills its own bucket, not another's.
 */
import { type RateLimiter, TokenBucket, type TokenBucketOptions } from './token-bucket.ts';

export class MemberPacing {
  readonly #options: TokenBucketOptions;
  readonly #buckets = new Map<string, RateLimiter>();

  /** Every member region gets a bucket of these settings (default: 20 calls a second, burst 20). */
  constructor(options: TokenBucketOptions = { ratePerSecond: 20 }) {
    // Built once here so bad settings fail at cold start, not at the first member's call.
    new TokenBucket(options);
    this.#options = options;
  }

  /** The one bucket for calls to this account and region. */
  limiterFor(account: string, region: string): RateLimiter {
    const key = `${account}:${region}`;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.#options);
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }
}
