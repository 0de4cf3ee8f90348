/**
 * The gate's app synthesized without bundling, once per test run (test/support/synth-cache.ts),
 * for every test that deploys the gate onto a local cloud: `plgate local` synthesizes the
 * same in process; here the run pays for it once.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { cachedOnce } from './synth-cache.ts';

const SYNTHESIZE = fileURLToPath(new URL('../../local/cloudformation/synthesize-main.ts', import.meta.url));

/** The directory of the synthesized assembly (account 000000000000, us-east-1). */
export function gateAssemblyDir(): string {
  return cachedOnce(inject('synthCacheDir'), 'gate-assembly-source', (folder) => {
    execFileSync(process.execPath, ['--import', 'tsx', SYNTHESIZE, folder], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return folder;
  });
}
