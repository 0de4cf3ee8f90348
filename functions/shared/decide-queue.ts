/**
 * How connection events reach the decide function, the same in the stack and in
 * `plgate local`: EventBridge → SQS → Lambda, in batches. One second of window gathers a
 * burst of requests into a few invocations (one describe and one accept per service per
 * batch) and adds at most a second to a lone request. With a window of at least a second,
 * Lambda allows batches of up to 10,000 messages (6 MB of payload caps them first).
 */
export const DECIDE_QUEUE = {
  batchingWindowSeconds: 1,
  batchSize: 10_000,
  /** Receives before a message goes to the dead-letter queue. */
  maxReceiveCount: 3,
} as const;
