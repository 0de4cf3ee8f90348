export const EFFECTS = ['accept', 'reject', 'review'] as const;
export type Effect = (typeof EFFECTS)[number];

/** What the rule engine says of one connection. Same rules and context, same record. */
export interface DecisionRecord {
  endpointId: string;
  serviceId: string;
  account: string;
  decision: Effect;
  /** The deciding rule: the smallest id among the winning effect's matches; null for a default. */
  rule: string | null;
  /** Every rule that matched, sorted by id. */
  matched: string[];
  /** Reasons a human can read, in a stable order. */
  reasons: string[];
  /** True when no rule decided and a service or global default did. */
  default: boolean;
  /** Rules whose conditions could not be determined (e.g. organization lookup failed). */
  undetermined: string[];
  /** Set when an operator's approval or denial of this endpoint decided (or was overruled). */
  operator?: { verdict: 'approve' | 'deny'; actor: string; reason?: string; at: string; decided: boolean };
}
