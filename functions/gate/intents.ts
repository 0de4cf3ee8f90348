/**
 * Write ahead (DESIGN §2): what a decider is about to do to an endpoint is written on the
 * endpoint's state (the intent) before the EC2 call, made final after it (result and EC2
 * request id), then recorded: ledger entry, notice, `Connection Decision` event, and only
 * then removed. Every step is safe to repeat, so whoever finds an intent unfinished (the
 * next decide of the endpoint, the sweep) finishes it:
 *  - the ledger entry is the intent's own, stored on it before it is appended, and the
 *    ledger's sort key is derived from the entry: a repeat stores nothing new;
 *  - a notice goes out at most once per (endpoint, outcome): it is claimed under the
 *    current lease token (no second sender while a lease is held; the claim renews the
 *    lease so the publish ends before it can run out), published, and then marked sent
 *    with the flag `notice:<outcome>`. A crash between the publish and the mark is the one
 *    window in which the next holder publishes again: at least once, never lost;
 *  - the event is at least once, as EventBridge itself is.
 */
import pLimit from 'p-limit';
import type { Connection } from '../core/connection.ts';
import type { GateEvents, Intent, Lease, Ledger, LedgerEntry, Notifier } from './ports.ts';

export interface IntentDeps {
  ledger: Ledger;
  notifier: Notifier;
  events: GateEvents;
  now: () => Date;
  leaseMs: number;
  log?: (message: string, data: Record<string, unknown>) => void;
}

/** An intent whose entry is final, and the lease it is finished under. */
export interface FinalIntent {
  lease: Lease;
  intent: Intent;
}

/** Intents finished at once; each is a handful of small conditional writes. */
const FINISH_CONCURRENCY = 16;

/** The flag that says a notice of this outcome went out for the endpoint. */
export function noticeFlagFor(entry: LedgerEntry): string {
  return `notice:${entry.dryRun ? 'dry-run:' : ''}${entry.outcome}`;
}

/** Records final intents: ledger, notice, event, then clears them. Returns the entries. */
export async function finishIntents(finals: FinalIntent[], deps: IntentDeps): Promise<LedgerEntry[]> {
  if (finals.length === 0) return [];
  const limit = pLimit(FINISH_CONCURRENCY);
  await Promise.all(finals.map((final) => limit(() => recordAndNotify(final, deps))));
  const entries = finals.map(({ intent }) => intent.entry);
  await deps.events.decisions(entries);
  await Promise.all(
    finals.map(({ lease, intent }) => limit(() => deps.ledger.clearIntent(lease, intent.id))),
  );
  return entries;
}

async function recordAndNotify({ lease, intent }: FinalIntent, deps: IntentDeps): Promise<void> {
  const { entry } = intent;
  await deps.ledger.append(entry);
  const flag = noticeFlagFor(entry);
  if (!(await deps.ledger.claimNotice(lease, intent.id, flag, deps.now(), deps.leaseMs))) return;
  if (intent.noticeClaim !== undefined) {
    deps.log?.('notice claimed before an interruption: sending it (at least once)', {
      endpointId: entry.endpointId,
      outcome: entry.outcome,
    });
  }
  await deps.notifier.publish({ kind: 'decision', entry });
  await deps.ledger.markNoticeSent(entry.endpointId, flag, deps.now());
}

const ACCEPTED_STATES: ReadonlySet<string> = new Set(['pending', 'available']);

/**
 * The entry an unfinished intent stands for, from EC2's state now; undefined when its
 * action did not happen (the decision is then made again on that state). A notice or a
 * dry-run did nothing in EC2: its entry stands as planned.
 */
export function reconciledEntry(intent: Intent, now: Connection | undefined): LedgerEntry | undefined {
  const { entry } = intent;
  if (intent.done || entry.action === 'none' || entry.dryRun) return entry;
  const state = now?.state;
  const happened =
    entry.action === 'accept' ? state !== undefined && ACCEPTED_STATES.has(state) : state === 'rejected';
  if (!happened || state === undefined) return undefined;
  return {
    ...entry,
    reasons: [
      ...entry.reasons,
      `recorded from EC2's state (${state}) after the decision was interrupted between the action and its record`,
    ],
  };
}
