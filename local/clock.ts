/**
 * The local cloud's clock: real time, plus what a test or a chaos run moved it ahead by.
 * Moving it ahead fires every timer of the cloud that falls due (a visibility timeout, a
 * schedule) and moves the clock of every function, whose runtime reads it (local/lambda).
 * The functions' own code knows nothing of it.
 */
import type { LocalClock } from './service.ts';

export class MovableClock implements LocalClock {
  #offsetMs = 0;
  readonly #listeners = new Set<(offsetMs: number) => void>();

  now(): number {
    return Date.now() + this.#offsetMs;
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ms: must be a finite number >= 0, got ${ms}`);
    this.#offsetMs += ms;
    for (const listener of this.#listeners) listener(this.#offsetMs);
  }

  /** Called with the new offset after every `advance`; returns what unsubscribes. */
  onAdvance(listener: (offsetMs: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
