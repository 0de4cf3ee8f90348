/**
 * New ledger entries, as they are written, for the open pages (server-sent events). The
 * ledger is polled, and only while a page listens: one small query per managed service
 * per poll, from the newest entry seen on (the entries' own times, not this machine's
 * clock). The same works against `plgate local` and a deployed stack with nothing but
 * the operator's read access to the ledger. A window of overlap catches an entry written
 * a moment after a later one; the keys already sent are not sent again.
 */
import type { LedgerRow } from './ledger-pages.ts';

/** Where the watch reads: entries from a time on, oldest first (LedgerPages.since). */
export interface LedgerSince {
  since(since: string): Promise<LedgerRow[]>;
}

export type LedgerListener = (entries: LedgerRow[]) => void;

export interface LedgerWatchOptions {
  /** Between polls; the bound for a decision to show is 2 s. */
  pollMs?: number;
  /** How far back each poll looks again for entries written late. */
  overlapMs?: number;
  onError?: (error: unknown) => void;
}

export class LedgerWatch {
  readonly #listeners = new Set<LedgerListener>();
  readonly #sent = new Map<string, string>();
  #from: string | undefined;
  #seeding: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  readonly #pollMs: number;
  readonly #overlapMs: number;

  constructor(
    private readonly pages: LedgerSince,
    private readonly options: LedgerWatchOptions = {},
  ) {
    this.#pollMs = options.pollMs ?? 1_000;
    this.#overlapMs = options.overlapMs ?? 10_000;
  }

  /** Starts telling `listener` of every entry written from now on; returns how to stop. */
  subscribe(listener: LedgerListener): () => void {
    this.#listeners.add(listener);
    if (!this.#timer) this.#start();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Looks once now; what the timer does every pollMs. */
  poll(): Promise<void> {
    this.#polling ??= this.#pollOnce().finally(() => {
      this.#polling = undefined;
    });
    return this.#polling;
  }

  #start(): void {
    // What is in the ledger already the page has read: the feed starts after it.
    this.#seeding ??= this.#seed();
    this.#timer = setInterval(() => void this.poll(), this.#pollMs);
    this.#timer.unref();
  }

  async #seed(): Promise<void> {
    const now = new Date().toISOString();
    try {
      const rows = await this.pages.since(new Date(Date.parse(now) - this.#overlapMs).toISOString());
      for (const row of rows) this.#sent.set(row.key, row.at);
      const newest = rows.at(-1)?.at;
      this.#from = newest !== undefined && newest > now ? newest : now;
    } catch (error) {
      this.#seeding = undefined;
      this.options.onError?.(error);
    }
  }

  async #pollOnce(): Promise<void> {
    if (this.#listeners.size === 0) return;
    this.#seeding ??= this.#seed();
    await this.#seeding;
    const from = this.#from;
    if (from === undefined || this.#listeners.size === 0) return;
    try {
      const since = new Date(Date.parse(from) - this.#overlapMs).toISOString();
      const rows = (await this.pages.since(since)).filter((row) => !this.#sent.has(row.key));
      for (const row of rows) {
        this.#sent.set(row.key, row.at);
        if (row.at > (this.#from ?? '')) this.#from = row.at;
      }
      this.#forget();
      if (rows.length === 0) return;
      const newestFirst = rows.reverse();
      for (const listener of this.#listeners) listener(newestFirst);
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  /** Keys older than the overlap will not come back: no need to remember them. */
  #forget(): void {
    const from = this.#from;
    if (from === undefined) return;
    const before = new Date(Date.parse(from) - 2 * this.#overlapMs).toISOString();
    for (const [key, at] of this.#sent) if (at < before) this.#sent.delete(key);
  }
}
