/**
 * The gate's app synthesized without bundling, as `plgate local` deploys it, found once per
 * test run (test/support/synth-cache.ts) for every test that deploys the gate onto a local
 * cloud. It comes from the same cache `plgate local` uses, so the `plgate local` processes
 * tests start reuse it too.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { cachedOnce } from './synth-cache.ts';

const SYNTHESIZE = fileURLToPath(new URL('../../local/cloudformation/synthesize-main.ts', import.meta.url));

/** The directory of the synthesized assembly (account 000000000000, us-east-1). */
export function gateAssemblyDir(): string {
  return cachedOnce(inject('synthCacheDir'), 'gate-assembly-source', () =>
    execFileSync(process.execPath, ['--import', 'tsx', SYNTHESIZE], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim(),
  );
}
