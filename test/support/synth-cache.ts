/**
 * One place per `vitest run` where synthesized templates are kept, so test files in
 * different worker processes synthesize each stack once instead of once per file.
 * vitest.config.ts's globalSetup creates the folder and provides its path; the first file
 * that asks for a template produces it under a lock, the others wait for it and read it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's synth cache folder (see test/support/synth-cache.ts). */
    synthCacheDir: string;
  }
}

/** globalSetup: an empty folder for this run, removed when the run ends. */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'plgate-synth-cache-'));
  project.provide('synthCacheDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}

export class SynthCacheError extends Error {
  override name = 'SynthCacheError';
}

const POLL_MS = 200;
const WAIT_LIMIT_MS = 600_000;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The result of `produce(folder)` for `key`, produced at most once per cache folder across
 * processes. `produce` writes what it makes into the folder it is given and returns a JSON
 * value describing it; a failure is recorded, so every file asking for that key fails with it.
 */
export function cachedOnce<T>(cacheDir: string, key: string, produce: (folder: string) => T): T {
  const folder = join(cacheDir, key);
  const lock = `${folder}.lock`;
  const done = `${folder}.json`;
  let owner = false;
  try {
    mkdirSync(lock);
    owner = true;
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
  }
  if (owner) {
    mkdirSync(folder, { recursive: true });
    let record: { value?: T; error?: string };
    try {
      record = { value: produce(folder) };
    } catch (error) {
      record = { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    }
    writeFileSync(`${done}.tmp`, JSON.stringify(record));
    renameSync(`${done}.tmp`, done);
  } else {
    const started = Date.now();
    while (!existsSync(done)) {
      if (Date.now() - started > WAIT_LIMIT_MS)
        throw new SynthCacheError(`waited ${WAIT_LIMIT_MS / 1000} s for ${key} in ${cacheDir}`);
      sleep(POLL_MS);
    }
  }
  const record: { value?: T; error?: string } = JSON.parse(readFileSync(done, 'utf8'));
  if (record.error !== undefined) throw new SynthCacheError(`producing ${key} failed: ${record.error}`);
  return record.value as T;
}
