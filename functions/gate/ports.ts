/**
 * What the gate needs from the outside world. functions/aws implements these over the
 * AWS SDK; tests of the gate use plain in-memory fakes.
 */
import type { Connection } from '../core/connection.ts';
import type { DecisionRecord, Effect } from '../core/decision-record.ts';
import type { OrganizationPath } from '../core/evaluation-context.ts';
import type { ConnectionEventDetail, SweepRequestedDetail, Trigger } from '../shared/events.ts';

export const OUTCOMES = [
  'accepted',
  'rejected',
  'held',
  'expired',
  'revoked',
  'drift',
  'failed',
  'deleted',
  'registered',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** One ledger entry: a decision that changed or held something, or a manual action seen in CloudTrail. */
export interface LedgerEntry {
  /** ISO-8601 time of the entry. */
  at: string;
  endpointId: string;
  serviceId: string;
  account: string;
  trigger: Trigger;
  decision: Effect;
  /** Deciding rule id, null for a default or a manual action. */
  rule: string | null;
  matched: string[];
  reasons: string[];
  /** The EC2 action taken (or that would be taken in dry-run). */
  action: 'accept' | 'reject' | 'none';
  outcome: Outcome;
  /** True when the service is in dry-run: nothing was done. */
  dryRun: boolean;
  rulesVersion: number;
  /** The connection state the decision was made on. */
  state: string;
  /** Error code and message when outcome is failed. */
  error?: { code: string; message: string };
  /** Who did it, for manual actions (CloudTrail userIdentity ARN) and approvals. */
  actor?: string;
  /** Why, as the person who acted gave it (`--reason`). */
  reason?: string;
  /** The EC2 request id of the action, so CloudTrail's record of it is recognised as the gate's own. */
  requestId?: string;
}

/** Per-endpoint bookkeeping that makes actions idempotent. */
export interface EndpointState {
  endpointId: string;
  /** Once-flags, flag name -> ISO time set: 'held' (held notice sent), 'drift' (drift notice sent). */
  flags: Record<string, string>;
  /** Holder and expiry (ISO) of the action lease, if any. */
  lease?: { holder: string; until: string };
  lastOutcome?: Outcome;
  /** Entries of actions taken whose record (ledger, notice, event) has not been confirmed: an outbox. */
  pending?: LedgerEntry[];
}

export interface ActionFailure {
  endpointId: string;
  code: string;
  message: string;
}

export interface ActionResult {
  succeeded: string[];
  /** Endpoint id -> the EC2 request id of the call that changed it. */
  requestIds: Record<string, string>;
  /** Per-endpoint failures after retries (from `Unsuccessful`), never thrown. */
  failed: ActionFailure[];
}

export interface ManagedService {
  serviceId: string;
  acceptanceRequired: boolean;
  tags: Record<string, string>;
}

export interface ConnectionFilter {
  endpointIds?: string[];
  /** Consumer account (the `vpc-endpoint-owner` filter). */
  account?: string;
}

export interface ConnectionPage {
  connections: Connection[];
  nextToken?: string;
}

/** EC2 endpoint-service operations (provider side). */
export interface EndpointServices {
  /**
   * Every connection of a service (all pages), narrowed to some endpoints or to one consumer
   * account. Unparseable items are dropped and logged, never acted on.
   */
  describeConnections(serviceId: string, filter?: ConnectionFilter): Promise<Connection[]>;
  /** One page of a service's connections, for sweeps that must stop and continue. */
  pageConnections(serviceId: string, nextToken?: string, pageSize?: number): Promise<ConnectionPage>;
  /** Accepts in batches per call; retries throttling and retryable `Unsuccessful`; reports the rest. */
  accept(serviceId: string, endpointIds: string[]): Promise<ActionResult>;
  reject(serviceId: string, endpointIds: string[]): Promise<ActionResult>;
  /** Services tagged privatelink-gate:managed=true (all pages). */
  listManagedServices(): Promise<ManagedService[]>;
  /**
   * Whether one service exists, is ours and is tagged managed. False for NotFound.
   * `fresh`: ask EC2 now, whatever a cache knows (a CloudTrail event says it changed).
   */
  isManaged(serviceId: string, options?: { fresh?: boolean }): Promise<boolean>;
  /** Acceptance required on, and a connection notification to the topic with Connect, Accept, Reject, Delete. Safe to repeat; returns what it changed. */
  enroll(serviceId: string, ingestTopicArn: string): Promise<{ changed: string[] }>;
}

export interface RulesStore {
  /** The rules version (0 when never set): one small read. */
  version(): Promise<number>;
  /** Every item of the rules table, unmarshalled, `meta` items included. */
  items(): Promise<Record<string, unknown>[]>;
  /** Adds 1 to the version and returns the new one. */
  bumpVersion(): Promise<number>;
}

export type HistoryQuery =
  | { endpointId: string; since?: Date; limit?: number }
  | { serviceId: string; since?: Date; limit?: number }
  | { account: string; since?: Date; limit?: number };

/** A rule item that failed validation, recorded under the ledger partition `rules`. */
export interface RuleProblemEntry {
  at: string;
  item: { kind: string; id: string };
  problems: { path: string; message: string }[];
}

export interface Ledger {
  /** Idempotent: appending the same entry twice stores it once. */
  append(entry: LedgerEntry): Promise<void>;
  /** Keeps the entries of actions just taken on the endpoint's state until clearPending. */
  setPending(endpointId: string, entries: LedgerEntry[]): Promise<void>;
  clearPending(endpointId: string): Promise<void>;
  /** Records an invalid rule item (partition key `rules`, same `entry#` sort keys, same TTL). */
  appendRuleProblem(entry: RuleProblemEntry): Promise<void>;
  /** Newest first. */
  history(query: HistoryQuery): Promise<LedgerEntry[]>;
  /** States of many endpoints in few reads (BatchGetItem); endpoints with no state are absent. */
  states(endpointIds: string[]): Promise<Map<string, EndpointState>>;
  /** Takes the action lease of an endpoint (or the enrollment lease of a service id); false when another holder's lease has not expired. */
  acquireLease(endpointId: string, holder: string, now: Date, leaseMs: number): Promise<boolean>;
  /** Releases the lease (only if still held by holder) and records the last outcome. */
  releaseLease(endpointId: string, holder: string, lastOutcome?: Outcome): Promise<void>;
  /** Sets a once-flag; true only for the caller that set it first. */
  setFlagOnce(endpointId: string, flag: string, now: Date): Promise<boolean>;
  clearFlag(endpointId: string, flag: string): Promise<void>;
}

export type Notice = { kind: 'decision'; entry: LedgerEntry } | ({ kind: 'invalid-rule' } & RuleProblemEntry);

export interface Notifier {
  publish(notice: Notice): Promise<void>;
}

export interface GateEvents {
  connectionEvents(details: ConnectionEventDetail[]): Promise<void>;
  decisions(entries: LedgerEntry[]): Promise<void>;
  requestSweep(detail: SweepRequestedDetail): Promise<void>;
}

export interface OrganizationDirectory {
  /** The account's organization path; undefined when it cannot be determined (never throws). */
  pathOf(account: string): Promise<OrganizationPath | undefined>;
}

export type { DecisionRecord };
