/**
 * The client-side rate limit of the gate's EC2 calls. EC2 itself meters each account's
 * calls with token buckets (a burst, then a steady refill), so the gate does the same:
 * the handful of calls of one invocation go at once, and a long sweep or a big batch is
 * held to the steady rate. Calls start in the order they were scheduled.
 */
export interface RateLimiter {
  /** Runs `job` once the rate allows; resolves or rejects as the job does. */
  schedule<T>(job: () => Promise<T>): Promise<T>;
}

export interface TokenBucketOptions {
  /** Calls per second, sustained. */
  ratePerSecond: number;
  /** Calls that may start at once after a quiet spell (default: one second's worth). */
  burst?: number;
  /** Milliseconds, for tests; default Date.now. */
  now?: () => number;
}

export class TokenBucket implements RateLimiter {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;
  readonly #waiting: (() => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor({
    ratePerSecond,
    burst = Math.max(1, Math.floor(ratePerSecond)),
    now = Date.now,
  }: TokenBucketOptions) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) {
      throw new RangeError(`ratePerSecond must be a positive number, got ${ratePerSecond}`);
    }
    if (!Number.isInteger(burst) || burst < 1) {
      throw new RangeError(`burst must be a whole number of at least 1, got ${burst}`);
    }
    this.#perMs = ratePerSecond / 1000;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#updatedAt = now();
  }

  async schedule<T>(job: () => Promise<T>): Promise<T> {
    await this.#take();
    return job();
  }

  #take(): Promise<void> {
    this.#refill();
    if (this.#waiting.length === 0 && this.#tokens >= 1) {
      this.#tokens -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#wake();
    });
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + Math.max(0, now - this.#updatedAt) * this.#perMs);
    this.#updatedAt = now;
  }

  /** One timer while calls wait, set for when the next token is due; none otherwise. */
  #wake(): void {
    if (this.#timer !== undefined) return;
    const due = Math.max(1, Math.ceil((1 - this.#tokens) / this.#perMs));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#refill();
      while (this.#waiting.length > 0 && this.#tokens >= 1) {
        this.#tokens -= 1;
        this.#waiting.shift()?.();
      }
      if (this.#waiting.length > 0) this.#wake();
    }, due);
  }
}
