/**
 * The two assemblies a test run shares, produced at most once per run into the run's synth
 * cache (see synth-cache.ts): the gate's app synthesized without bundling (what every test
 * that deploys the gate onto a local cloud deploys) and the app as `npm run synth` builds
 * it (esbuild bundles, cdk-nag; what the bundle and bundled-stack tests read). No vitest
 * here: prefetch-assemblies.ts produces them from a process of its own.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type CliSynth, synthWithCli } from '../../bench/bundle-sizes.ts';
import { cachedOnce } from './synth-cache.ts';

const SYNTHESIZE = fileURLToPath(new URL('../../local/cloudformation/synthesize-main.ts', import.meta.url));

export const ASSEMBLY_KEYS = ['gate-assembly-source', 'default-cli'] as const;
export type AssemblyKey = (typeof ASSEMBLY_KEYS)[number];

export interface DefaultAssembly extends CliSynth {
  outdir: string;
}

/** The directory of the gate's assembly synthesized without bundling (account 000000000000, us-east-1). */
export function sourceAssemblyIn(cacheDir: string): string {
  return cachedOnce(cacheDir, 'gate-assembly-source', () =>
    execFileSync(process.execPath, ['--import', 'tsx', SYNTHESIZE], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim(),
  );
}

/** The default stack as the CDK CLI synthesizes it (`npm run synth`). */
export function cliAssemblyIn(cacheDir: string): DefaultAssembly {
  return cachedOnce(cacheDir, 'default-cli', (outdir) => ({ ...synthWithCli(outdir), outdir }));
}

export function produce(cacheDir: string, key: AssemblyKey): void {
  if (key === 'gate-assembly-source') sourceAssemblyIn(cacheDir);
  else cliAssemblyIn(cacheDir);
}
