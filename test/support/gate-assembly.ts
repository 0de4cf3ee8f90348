/**
 * The gate's app synthesized without bundling, as `plgate local` deploys it, found once per
 * test run (test/support/synth-cache.ts) for every test that deploys the gate onto a local
 * cloud. It comes from the same cache `plgate local` uses, so the `plgate local` processes
 * tests start reuse it too.
 */
import { inject } from 'vitest';
import { sourceAssemblyIn } from './assemblies.ts';

/** The directory of the synthesized assembly (account 000000000000, us-east-1). */
export function gateAssemblyDir(): string {
  return sourceAssemblyIn(inject('synthCacheDir'));
}
