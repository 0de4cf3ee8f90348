/**
 * What the gate needs from the outside world. functions/aws implements these over the
 * AWS SDK; tests of the gate use plain in-memory fakes.
 */
import type { Connection } from '../core/connection.ts';
import type { Effect } from '../core/decision-record.ts';
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
  /** When the person decided, for an approval or denial carried out later (ISO-8601). */
  decidedAt?: string;
  /** What carried out a person's approval or denial, when not their own command (trigger `manual`). */
  carriedBy?: Trigger;
  /** The EC2 request id of the action, so CloudTrail's record of it is recognised as the gate's own. */
  requestId?: string;
  /** Fleets: the account and region the service lives in (absent in entries of a stack of one). */
  serviceAccount?: string;
  serviceRegion?: string;
}

/**
 * A lease on an endpoint (actions), a service (enrollment) or a service's consumer account
 * (`vpce-svc-…#123456789012`, accepts under a limit). `token` grows by one with every
 * grant of the same key: a write fenced by it fails once someone else has taken the lease.
 */
export interface Lease {
  key: string;
  holder: string;
  token: number;
  /** ISO time the lease runs out. */
  until: string;
  /** An endpoint's state as the grant left it (the same write returns it): no second read under the lease. */
  state?: EndpointState;
}

/**
 * What a decider is about to do to one endpoint, written on the endpoint's state before
 * the EC2 call (write ahead) and removed once its ledger entry, notice and event are out.
 * Whoever finds one unfinished reconciles it with EC2's state.
 */
export interface Intent {
  /** Stable for the intent's life: the ledger entry and the notice are keyed by it. */
  id: string;
  /** The fencing token of the lease it was written under. */
  token: number;
  /** The planned entry; once `done`, the entry as it will be recorded (result and request id). */
  entry: LedgerEntry;
  /** True once the action's result is known and `entry` is final. */
  done: boolean;
  /** The once-flag the plan set with the intent (held, drift, dry-run:…), if any. */
  onceFlag?: string;
  /** Token of the holder that claimed the notice: it may have been published (the flag says it was). */
  noticeClaim?: number;
}

/** Per-endpoint bookkeeping that makes actions idempotent. */
export interface EndpointState {
  endpointId: string;
  /** Once-flags, flag name -> ISO time set: 'held' (held notice sent), 'drift' (drift notice sent), 'notice:…' (a notice of that outcome sent). */
  flags: Record<string, string>;
  /** Holder, expiry (ISO) and fencing token of the action lease, if any. */
  lease?: { holder: string; until: string; token: number };
  lastOutcome?: Outcome;
  /** An action or notice started and not yet fully recorded (write ahead). */
  intent?: Intent;
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
  /**
   * Every connection of these services, read with one call per account and region when they
   * fit in one page: each service read whole is in the map (with no connection, an empty
   * list); one left out is to be paged on its own (pageConnections).
   */
  connectionsOfServices(serviceIds: readonly string[]): Promise<Map<string, Connection[]>>;
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
  /**
   * The services among these that `enroll` would not change (acceptance required; a
   * notification to the topic with every event, enabled), read with one listing of
   * notifications per account and region: the sweep enrolls only the others.
   */
  enrolledServices(services: readonly ManagedService[], ingestTopicArn: string): Promise<Set<string>>;
}

export interface RulesStore {
  /** The rules version (0 when never set): one small read. */
  version(): Promise<number>;
  /** Every item of the rules table, unmarshalled, `meta` items included. */
  items(): Promise<Record<string, unknown>[]>;
  /** Adds 1 to the version and returns the new one. */
  bumpVersion(): Promise<number>;
}

/** Writes to the rules table: operators' approvals and denials, and their removal. */
export interface RulesItemWriter {
  putItems(items: readonly Record<string, unknown>[]): Promise<void>;
  deleteItems(keys: readonly { kind: string; id: string }[]): Promise<void>;
  /** Deletes one item; true only for the one caller that removed it. */
  deleteItemIfPresent(key: { kind: string; id: string }): Promise<boolean>;
  /** Adds 1 to the version so every cached rule set reloads. */
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
  /** What the gate does because of it, in words ("service … is held: …"). */
  held?: string;
}

/** The history: decisions, manual actions and invalid rule items, kept for the retention period. */
export interface Ledger {
  /** Idempotent: appending the same entry twice stores it once. */
  append(entry: LedgerEntry): Promise<void>;
  /** Records an invalid rule item (partition key `rules`, same `entry#` sort keys, same TTL). */
  appendRuleProblem(entry: RuleProblemEntry): Promise<void>;
  /** Newest first. */
  history(query: HistoryQuery): Promise<LedgerEntry[]>;
}

/**
 * Per-endpoint state that makes actions idempotent: leases, the write-ahead intent and
 * once-flags. Kept in the ledger's table, and recordIntent writes the intent's history
 * entry in the same write.
 */
export interface EndpointStates {
  /** States of many endpoints in few reads (BatchGetItem); endpoints with no state are absent. */
  states(endpointIds: string[]): Promise<Map<string, EndpointState>>;
  /** Takes the lease on a key; undefined when another holder's lease has not expired. Every grant has a new, larger token. */
  acquireLease(key: string, holder: string, now: Date, leaseMs: number): Promise<Lease | undefined>;
  /** Extends a lease that is still current (same token, not run out) to now + leaseMs; false otherwise. */
  renewLease(lease: Lease, now: Date, leaseMs: number): Promise<boolean>;
  /** Releases the lease if its token is still current, recording the last outcome (a fact, fenced or not). */
  releaseLease(lease: Lease, lastOutcome?: Outcome): Promise<void>;
  /**
   * Writes the intent while the lease is current, and renews the lease to now + leaseMs so
   * that the call that follows ends before it can run out. Sets the intent's once-flag in
   * the same write. False, writing nothing, when the lease is lost, another intent is
   * unfinished or the once-flag is already set.
   */
  writeIntent(lease: Lease, intent: Intent, now: Date, leaseMs: number): Promise<boolean>;
  /** Removes the intent once all is recorded. Throws LeaseLostError when the lease is lost. */
  clearIntent(lease: Lease, intentId: string): Promise<void>;
  /**
   * Makes the intent's entry final, appends it to the ledger and claims its notice for the
   * lease's holder (renewing the lease, so the publish that follows ends before it can run
   * out), as one atomic write where the store can. True when the notice is the caller's to
   * send, false when a notice of the flag's outcome was already sent; the entry is recorded
   * either way. Throws LeaseLostError when the lease is lost.
   */
  recordIntent(
    lease: Lease,
    intent: Intent,
    noticeFlag: string,
    now: Date,
    leaseMs: number,
  ): Promise<boolean>;
  /**
   * Sets the notice flag (when `noticeSent` names it) and removes the intent in one write,
   * and, with `release`, releases the lease with the intent's outcome in the same write.
   * When the lease is lost the notice is still marked sent (a fact), and LeaseLostError is thrown.
   */
  finishIntent(lease: Lease, intentId: string, finish: IntentFinish): Promise<void>;
  /** Sets a once-flag; true only for the caller that set it first. */
  setFlagOnce(endpointId: string, flag: string, now: Date): Promise<boolean>;
  clearFlag(endpointId: string, flag: string): Promise<void>;
}

/** Both stores of the ledger table, for a decider that uses the two (decide-service's `ledger`). */
export type LedgerTable = Ledger & EndpointStates;

export interface IntentFinish {
  /** The notice flag to set: the notice went out. */
  noticeSent?: string;
  now: Date;
  /** Release the lease too, recording this outcome as the endpoint's last. */
  release?: { outcome: Outcome };
}

/** A fenced write found that the lease it was made under had passed to someone else. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

/** A fleet member the hub could not reach, or reached again: its requests wait while it is unhealthy. */
export interface MemberHealthNotice {
  kind: 'member-health';
  account: string;
  region: string;
  healthy: boolean;
  /** Why it cannot be reached (the error code and message), when unhealthy. */
  reason?: string;
  at: string;
}

export type Notice =
  | { kind: 'decision'; entry: LedgerEntry }
  | ({ kind: 'invalid-rule' } & RuleProblemEntry)
  | MemberHealthNotice;

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
