/**
 * The gate's CloudWatch metrics (EMF through Powertools). The CDK stack's alarms and
 * dashboard read these names, so they are constants here.
 */
export const METRICS_NAMESPACE = 'PrivateLinkGate';
/** Powertools adds this as the `service` dimension on every metric. */
export const METRICS_SERVICE = 'privatelink-gate';

export const OUTCOME_METRIC = {
  accepted: 'Accepted',
  rejected: 'Rejected',
  held: 'Held',
  expired: 'Expired',
  revoked: 'Revoked',
  drift: 'Drift',
  failed: 'Failed',
  deleted: 'Deleted',
  registered: 'Registered',
} as const;

export const METRIC = {
  /** Milliseconds from the connection's CreationTimestamp (or notification time) to the action. */
  decisionLatency: 'DecisionLatency',
  /** Connections waiting in review, counted by each sweep (a gauge: use Maximum). */
  heldRequests: 'HeldRequests',
  /** Notifications that named no managed service (stray or spoofed). */
  droppedNotifications: 'DroppedNotifications',
  /** Invocations that could not read the rules table: nothing is decided until it can be (alarmed). */
  rulesUnreadable: 'RulesUnreadable',
  /** Rule items that failed validation. */
  invalidRules: 'InvalidRules',
  /** What each handler was given: one count per invocation input, so every invocation publishes. */
  connectionEvents: 'ConnectionEvents',
  sweeps: 'Sweeps',
  notifications: 'Notifications',
  cloudTrailCalls: 'CloudTrailCalls',
  ruleItemChanges: 'RuleItemChanges',
  /** Registrations refused (bad code, bad or refused proof): once without dimensions, once by `reason`. */
  registrationRefusals: 'RegistrationRefusals',
  /** Fleets: members (account and region) the hub cannot reach, counted by each sweep (a gauge: use Maximum; alarmed). */
  unhealthyMembers: 'UnhealthyMembers',
} as const;
