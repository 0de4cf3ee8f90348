/**
 * The EC2 calls' rate limit: a burst at once, then the steady rate, in order; on a fake
 * clock (the bucket's and the timers'), so nothing here depends on how fast the machine is.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenBucket } from '../../../functions/aws/token-bucket.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Schedules `count` jobs that record when they started (fake ms), in the order scheduled. */
function scheduleMany(
  bucket: TokenBucket,
  count: number,
): { started: number[]; order: number[]; done: Promise<number[]> } {
  const started: number[] = [];
  const order: number[] = [];
  const done = Promise.all(
    Array.from({ length: count }, (_, i) =>
      bucket.schedule(async () => {
        started.push(Date.now());
        order.push(i);
        return i;
      }),
    ),
  );
  return { started, order, done };
}

describe('TokenBucket', () => {
  it('starts a burst at once, then one call per 1/rate seconds, in the order scheduled', async () => {
    // Prepare
    const bucket = new TokenBucket({ ratePerSecond: 20, burst: 5 });

    // Act
    const { started, order, done } = scheduleMany(bucket, 8);
    await vi.advanceTimersByTimeAsync(0);
    const atOnce = started.length;
    await vi.advanceTimersByTimeAsync(1_000);

    // Assess
    expect(await done).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(atOnce).toBe(5);
    expect(started).toEqual([0, 0, 0, 0, 0, 50, 100, 150]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('refills while quiet, up to the burst and no more', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3 });
    await scheduleMany(bucket, 3).done;

    await vi.advanceTimersByTimeAsync(60_000);
    const { started, done } = scheduleMany(bucket, 5);
    await vi.advanceTimersByTimeAsync(1_000);
    await done;

    expect(started).toEqual([60_000, 60_000, 60_000, 60_100, 60_200]);
  });

  it('defaults the burst to one second of calls', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 20 });
    const { started } = scheduleMany(bucket, 21);
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toHaveLength(20);
    await vi.advanceTimersByTimeAsync(50);
    expect(started).toHaveLength(21);
  });

  it('passes on a failed job and keeps serving the others', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 100, burst: 1 });
    const failed = bucket.schedule(async () => {
      throw new Error('throttled');
    });
    const next = bucket.schedule(async () => 'next');
    const assertion = expect(failed).rejects.toThrow('throttled');
    await vi.advanceTimersByTimeAsync(10);
    await assertion;
    expect(await next).toBe('next');
  });

  it('never starts more than burst + rate x elapsed calls in any window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 40 }),
        async (rate, burst, gaps) => {
          vi.setSystemTime(0);
          const bucket = new TokenBucket({ ratePerSecond: rate, burst });
          const started: number[] = [];
          const jobs: Promise<unknown>[] = [];
          for (const gap of gaps) {
            await vi.advanceTimersByTimeAsync(gap);
            jobs.push(bucket.schedule(async () => started.push(Date.now())));
          }
          await vi.advanceTimersByTimeAsync(Math.ceil((gaps.length / rate) * 1000) + 1_000);
          await Promise.all(jobs);
          expect(started).toHaveLength(gaps.length);
          for (let i = 0; i < started.length; i++) {
            for (let j = i; j < started.length; j++) {
              const window = (started[j] ?? 0) - (started[i] ?? 0);
              expect(j - i + 1).toBeLessThanOrEqual(burst + Math.floor((window * rate) / 1000));
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a rate or burst that could not work', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(/ratePerSecond/);
    expect(() => new TokenBucket({ ratePerSecond: Number.POSITIVE_INFINITY })).toThrow(/ratePerSecond/);
    expect(() => new TokenBucket({ ratePerSecond: 5, burst: 0 })).toThrow(/burst/);
    expect(() => new TokenBucket({ ratePerSecond: 5, burst: 1.5 })).toThrow(/burst/);
  });
});
