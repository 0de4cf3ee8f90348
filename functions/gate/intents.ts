/**
 * Write ahead (DESIGN §2): what a decider is about to do to an endpoint is written on the
 * endpoint's state (the intent) before the EC2 call, made final after it (result and EC2
 * request id), then recorded: ledger entry, notice, `Connection Decision` event, and only
 * then removed. Every step is safe to repeat, so whoever finds an intent unfinished (the
 * next decide of the endpoint, the sweep) finishes it:
 *  - the ledger entry is the intent's own, stored on it before it is appended, and the
 *    ledger's sort key is derived from the entry: a repeat stores nothing new;
 *  - a notice goes out at most once per (endpoint, outcome): it is claimed under the
 *    current lease token, in the same transaction as the ledger entry (no second sender
 *    while a lease is held; the claim renews the lease so the publish ends before it can
 *    run out), published, and then marked sent with the flag `notice:<outcome>` in the
 *    write that clears the intent, a write retried harder than any other (a failure there
 *    is the one way a notice goes out twice). A crash between the publish and that write is
 *    the one window in which the next holder publishes again: at least once, never lost;
 *  - the event is at least once, as EventBridge itself is: it goes out before the record,
 *    so a crash repeats the event (which consumers must expect anyway), not the notice.
 */
import pLimit from 'p-limit';
import type { Connection } from '../core/connection.ts';
import {
  type EndpointStates,
  type GateEvents,
  type Intent,
  type Lease,
  LeaseLostError,
  type LedgerEntry,
  type Notifier,
} from './ports.ts';

export interface IntentDeps {
  /** The endpoints' states: decide-service passes its `ledger`, which holds both stores of the table. */
  ledger: EndpointStates;
  notifier: Notifier;
  events: GateEvents;
  now: () => Date;
  leaseMs: number;
  log?: (message: string, data: Record<string, unknown>) => void;
  /** Waits between attempts of the write that marks a notice sent; injected so tests need not wait. */
  sleep?: (ms: number) => Promise<void>;
}

/** What finishing intents takes of a decider's dependencies, with the length of its leases. */
export function intentDepsOf(deps: Omit<IntentDeps, 'leaseMs'>, leaseMs: number): IntentDeps {
  return {
    ledger: deps.ledger,
    notifier: deps.notifier,
    events: deps.events,
    now: deps.now,
    leaseMs,
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  };
}

/**
 * Attempts of the write that marks a notice sent (each already the SDK's attempts), and the
 * first wait between them, doubled each time: about 3 s in all, far inside the lease.
 */
export const MARK_SENT_ATTEMPTS = 5;
const MARK_SENT_FIRST_DELAY_MS = 200;

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

export interface FinishOptions {
  /** Release each intent's lease in the write that clears it; called with each endpoint released. */
  release?: (endpointId: string) => void;
}

/**
 * Records final intents. First the `Connection Decision` events of them all (at least once,
 * as EventBridge is: a crash after it sends them again, never a second notice); then per
 * intent, one write for its final entry, ledger entry and notice claim, the notice, and one
 * write that marks the notice sent and clears the intent (and, with `release`, releases the
 * lease). Returns the entries.
 */
export async function finishIntents(
  finals: FinalIntent[],
  deps: IntentDeps,
  options: FinishOptions = {},
): Promise<LedgerEntry[]> {
  if (finals.length === 0) return [];
  const entries = finals.map(({ intent }) => intent.entry);
  await deps.events.decisions(entries);
  const limit = pLimit(FINISH_CONCURRENCY);
  await Promise.all(
    finals.map((final) =>
      limit(async () => {
        const { lease, intent } = final;
        const noticeSent = await recordAndNotify(final, deps);
        const finish = () =>
          deps.ledger.finishIntent(lease, intent.id, {
            now: deps.now(),
            ...(noticeSent === undefined ? {} : { noticeSent }),
            ...(options.release ? { release: { outcome: intent.entry.outcome } } : {}),
          });
        // The write is safe to repeat (fenced by the lease token and the intent's id). Once the
        // notice is out, giving up on it would have the next holder send the notice again.
        if (noticeSent === undefined) await finish();
        else await persistently(finish, deps, intent.entry.endpointId);
        options.release?.(intent.entry.endpointId);
      }),
    ),
  );
  return entries;
}

async function persistently(write: () => Promise<void>, deps: IntentDeps, endpointId: string): Promise<void> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt += 1) {
    try {
      await write();
      return;
    } catch (error) {
      if (error instanceof LeaseLostError || attempt >= MARK_SENT_ATTEMPTS) throw error;
      deps.log?.('marking a sent notice failed: trying again', {
        endpointId,
        attempt,
        error: error instanceof Error ? error.message : String(error),
      });
      await sleep(MARK_SENT_FIRST_DELAY_MS * 2 ** (attempt - 1));
    }
  }
}

/** Records the entry and, when the notice is this holder's to send, sends it: returns its flag then. */
async function recordAndNotify(
  { lease, intent }: FinalIntent,
  deps: IntentDeps,
): Promise<string | undefined> {
  const { entry } = intent;
  const flag = noticeFlagFor(entry);
  if (!(await deps.ledger.recordIntent(lease, intent, flag, deps.now(), deps.leaseMs))) return undefined;
  if (intent.noticeClaim !== undefined) {
    deps.log?.('notice claimed before an interruption: sending it (at least once)', {
      endpointId: entry.endpointId,
      outcome: entry.outcome,
    });
  }
  await deps.notifier.publish({ kind: 'decision', entry });
  return flag;
}

/** Whether EC2's state shows the action done (an accept: pending or available; a reject: rejected). */
export function tookEffect(action: 'accept' | 'reject', state: string | undefined): boolean {
  return action === 'accept' ? state === 'pending' || state === 'available' : state === 'rejected';
}

/**
 * The entry an unfinished intent stands for, from EC2's state now; undefined when its
 * action did not happen (the decision is then made again on that state). A notice or a
 * dry-run did nothing in EC2: its entry stands as planned.
 */
export function reconciledEntry(intent: Intent, now: Connection | undefined): LedgerEntry | undefined {
  const { entry } = intent;
  if (intent.done || entry.action === 'none' || entry.dryRun) return entry;
  const state = now?.state;
  if (!tookEffect(entry.action, state) || state === undefined) return undefined;
  return {
    ...entry,
    reasons: [
      ...entry.reasons,
      `recorded from EC2's state (${state}) after the decision was interrupted between the action and its record`,
    ],
  };
}
