import { MAXIMUM_RETRY_DELAY } from '@smithy/core/retry';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY } from '../../../functions/aws/batch-retry.ts';
import {
  GATE_CALL_LIMITS,
  GATE_UNSUCCESSFUL_RETRY,
  maxActionMs,
  maxCallMs,
  maxLeasedStretchMs,
  SDK_MAX_RETRY_DELAY_MS,
} from '../../../functions/aws/call-budget.ts';
import { DEFAULT_LEASE_MS } from '../../../functions/gate/lease-duration.ts';

describe('no call outlives the lease it runs under', () => {
  it('the longest renewing write plus the longest EC2 action ends before the lease can run out', () => {
    // 3 attempts of (3 s connect + 10 s answer) with two 20 s waits: 79 s per SDK call.
    expect(maxCallMs(GATE_CALL_LIMITS)).toBe(79_000);
    // An accept batch retried twice for retryable Unsuccessful items: 3 calls and two 5 s waits.
    expect(maxActionMs(GATE_CALL_LIMITS)).toBe(247_000);
    expect(maxLeasedStretchMs()).toBeLessThan(DEFAULT_LEASE_MS);
  });

  it('the bound uses the SDK’s own longest wait between attempts', () => {
    expect(SDK_MAX_RETRY_DELAY_MS).toBe(MAXIMUM_RETRY_DELAY);
  });

  it('the gate retries Unsuccessful items fewer times than the adapter’s default, with no longer waits', () => {
    expect(GATE_UNSUCCESSFUL_RETRY.maxRetries).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxRetries);
    expect(GATE_UNSUCCESSFUL_RETRY.maxDelayMs).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxDelayMs);
    // With the adapter's default of 4 retries the stretch would outlast the lease: the setting matters.
    expect(maxCallMs(GATE_CALL_LIMITS) + maxActionMs(GATE_CALL_LIMITS, DEFAULT_RETRY_POLICY)).toBeGreaterThan(
      DEFAULT_LEASE_MS,
    );
  });
});
