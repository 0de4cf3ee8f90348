/**
 * How long one call to AWS can take at most, retries included, from the settings the
 * gate's clients are built with (clients.ts). Nothing can fence an EC2 accept or an SNS
 * publish: a decider must finish such a call before its lease can run out, or another
 * decider could take the lease and act at the same time. Each fenced write that comes
 * before such a call renews the lease, so the lease must outlast the longest stretch of
 * one renewing write and the call after it; test/unit/aws/call-budget.test.ts holds the
 * lease to that.
 */
import { CONNECTION_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, MAX_ATTEMPTS } from './client-config.ts';

/** The most the SDK's standard and adaptive retries wait between attempts (MAXIMUM_RETRY_DELAY in @smithy/core/retry). */
export const SDK_MAX_RETRY_DELAY_MS = 20_000;

export interface CallLimits {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
}

/** The gate's clients at their most patient: every attempt allowed, each timing out. */
export const GATE_CALL_LIMITS: Readonly<CallLimits> = Object.freeze({
  maxAttempts: MAX_ATTEMPTS,
  connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
});

/** Retries of retryable `Unsuccessful` items in an accept or reject (Ec2EndpointServices' retry policy). */
export const GATE_UNSUCCESSFUL_RETRY = Object.freeze({ maxRetries: 2, maxDelayMs: 5_000 });

/** One SDK call: each attempt connects and waits for its answer until they time out, with the longest waits between. */
export function maxCallMs(limits: CallLimits): number {
  const attempt = limits.connectionTimeoutMs + limits.requestTimeoutMs;
  return limits.maxAttempts * attempt + (limits.maxAttempts - 1) * SDK_MAX_RETRY_DELAY_MS;
}

/** One accept or reject batch: the SDK call, again for each retry of its retryable `Unsuccessful` items. */
export function maxActionMs(
  limits: CallLimits,
  unsuccessful: { maxRetries: number; maxDelayMs: number } = GATE_UNSUCCESSFUL_RETRY,
): number {
  return (
    (unsuccessful.maxRetries + 1) * maxCallMs(limits) + unsuccessful.maxRetries * unsuccessful.maxDelayMs
  );
}

/** What a lease must outlast: the write that renews it (a DynamoDB call), then the EC2 action after it. */
export function maxLeasedStretchMs(limits: CallLimits = GATE_CALL_LIMITS): number {
  return maxCallMs(limits) + maxActionMs(limits);
}
