/**
 * Cold start as the local cloud runs the gate now: a function's first invocation in the
 * local Lambda runtime (a new worker: its environment and role session, the code loaded,
 * every SDK client's first call over HTTP) against the same function warm, for the code
 * `plgate local --stack cdk.out` runs (the assembly's bundles) and the code `plgate local`
 * runs (the handlers from source, bundled by the runtime on first use and cached).
 * The function is the sweep, invoked as its schedule rule would (`sweepNow`), over one
 * managed service: the same event and the same calls each time. Each cold figure is a
 * fresh cloud with the gate just deployed; median of 5 (1 with --quick), warm median of 3
 * per cloud. The bundled assembly is `PLGATE_BENCH_BUNDLED` or the project's `cdk.out`
 * (`npm run synth`), synthesized here when neither exists.
 *
 * (The bench it replaces measured each bundle's init against a floor bundle in a bare Node
 * process, beside a cloud with hand-made tables and roles; that wiring is gone, and what a
 * user waits for locally is this first invocation.)
 * Run: npm run bench -- cold-start
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EC2Client } from '@aws-sdk/client-ec2';
import { startLocalCloud } from '../local/cloud.ts';
import { deployGate } from '../local/gate.ts';
import { createProviderService } from '../local/provider-services.ts';
import { median, quick, recordResults } from './harness.ts';
import { BENCH_KEY, benchAssembly } from './local-world.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RUNS = quick ? 1 : 5;
const WARM = 3;

type Code = 'bundles' | 'source';

function bundledAssembly(): string {
  const given = process.env.PLGATE_BENCH_BUNDLED;
  if (given !== undefined && given !== '') return given;
  const cdkOut = join(ROOT, 'cdk.out');
  if (!existsSync(join(cdkOut, 'manifest.json'))) {
    process.stderr.write('cold-start: no cdk.out; npm run synth\n');
    execFileSync('npm', ['run', 'synth'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return cdkOut;
}

/** One fresh cloud: the sweep's first invocation, then its warm ones (ms each). */
async function once(code: Code, assemblyDir: string): Promise<{ firstMs: number; warmMs: number }> {
  const cloud = await startLocalCloud({ port: 0, scheduleIntervalMs: 3_600_000, log: () => {} });
  try {
    const gate = await deployGate(cloud, { assemblyDir, code });
    const provider = new EC2Client({
      endpoint: cloud.endpoint,
      region: cloud.region,
      credentials: { accessKeyId: BENCH_KEY, secretAccessKey: 'local' },
    });
    await createProviderService(provider, { loadBalancer: 'cold' });
    provider.destroy();
    await cloud.idle();
    const timed = async () => {
      const started = performance.now();
      await gate.sweepNow();
      return performance.now() - started;
    };
    const firstMs = await timed();
    const warm: number[] = [];
    for (let i = 0; i < WARM; i++) warm.push(await timed());
    return { firstMs, warmMs: median(warm) };
  } finally {
    await cloud.idle();
    await cloud.stop();
  }
}

const assemblies: Record<Code, string> = { bundles: bundledAssembly(), source: benchAssembly() };
const results: Record<string, { firstMs: number; warmMs: number; ratio: number }> = {};
console.log('| code | first invocation ms | warm ms | first / warm |\n|---|---:|---:|---:|');
for (const code of ['bundles', 'source'] as const) {
  const runs: { firstMs: number; warmMs: number }[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once(code, assemblies[code]));
  const firstMs = Math.round(median(runs.map((r) => r.firstMs)));
  const warmMs = Math.round(median(runs.map((r) => r.warmMs)));
  results[code] = { firstMs, warmMs, ratio: Number((firstMs / Math.max(1, warmMs)).toFixed(1)) };
  console.log(`| ${code} | ${firstMs} | ${warmMs} | ${results[code]?.ratio} |`);
}
recordResults({ localColdStart: { function: 'sweep', runs: RUNS, ...results } });
