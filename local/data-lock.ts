/**
 * One `plgate local` per data directory: a lock file holding the owner's pid. Two
 * processes writing the same state file (and the same dynalite store) would corrupt both,
 * so a second one is refused; a lock left by a process that no longer runs is taken over.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'plgate-local.lock';

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the data directory ${dataDir} is in use by another plgate local (pid ${pid}); stop that one first, or choose another --data directory`,
    );
  }
}

/** Locks held by this process, so that a second cloud in the same process is refused too. */
const held = new Set<string>();

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

function ownerOf(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
  const pid = Number(text.trim());
  // A lock file that holds no pid (cut short by a crash) belongs to nobody.
  return Number.isInteger(pid) && pid > 0 ? pid : 0;
}

export interface DataDirLock {
  /** The pid of a dead process whose lock was taken over, if any. */
  tookOverFrom?: number;
  release(): void;
}

export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  let tookOverFrom: number | undefined;
  for (let attempt = 0; ; attempt += 1) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST') || attempt > 0) throw error;
    }
    const owner = ownerOf(path);
    if (owner !== undefined && owner > 0) {
      const ours = owner === process.pid;
      if ((ours && held.has(path)) || (!ours && running(owner))) throw new DataDirLockedError(dataDir, owner);
      tookOverFrom = owner;
    }
    rmSync(path, { force: true });
  }
  held.add(path);
  let released = false;
  return {
    ...(tookOverFrom === undefined ? {} : { tookOverFrom }),
    release: () => {
      if (released) return;
      released = true;
      held.delete(path);
      if (ownerOf(path) === process.pid) rmSync(path, { force: true });
    },
  };
}
