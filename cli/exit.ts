export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A command line that cannot be run as written (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}
