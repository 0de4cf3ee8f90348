/**
 * Batches and bounded retries with exponential backoff and full jitter, for the per-item
 * failures that AWS reports inside a successful response (EC2 `Unsuccessful`, DynamoDB
 * `UnprocessedItems`, EventBridge `FailedEntryCount`). Whole-call failures are the SDK
 * retry strategy's job, not this one's.
 */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Injected so tests need not wait. */
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
  sleep,
  random: Math.random,
};

export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...overrides };
  if (!Number.isInteger(policy.maxRetries) || policy.maxRetries < 0) {
    throw new RangeError(`maxRetries must be a whole number >= 0, got ${policy.maxRetries}`);
  }
  if (!(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= policy.baseDelayMs)) {
    throw new RangeError(
      `delays must satisfy 0 <= baseDelayMs <= maxDelayMs, got ${policy.baseDelayMs} and ${policy.maxDelayMs}`,
    );
  }
  return policy;
}

/** Full jitter: a random delay in [0, min(max, base * 2^attempt)). `attempt` counts from 0. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(policy.random() * ceiling);
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
