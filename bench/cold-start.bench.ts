/**
 * Cold start of each Lambda bundle: the module init (import of the bundle, what Lambda's
 * INIT phase runs) in a fresh Node process, median of 5, against a floor bundle built the
 * same way that imports the same SDK clients and constructs them, and nothing else of ours.
 * Both with and without `--enable-source-maps`, which the stack sets in NODE_OPTIONS.
 * The bundles are built with the stack's esbuild options (ESM, minified, source maps).
 * Run: npm run bench -- cold-start
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ESM_REQUIRE_BANNER } from '../infra/constructs/gate-function.ts';
import { median, quick, recordResults } from './harness.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RUNS = quick ? 3 : 5;

/** The SDK clients each handler builds (functions/handlers/runtime.ts, rule-change-runtime.ts). */
const GATE_CLIENTS = ['ec2', 'dynamodb', 'sns', 'eventbridge', 'organizations'];
const FUNCTIONS: Record<string, { entry: string; clients: string[] }> = {
  Ingest: { entry: 'functions/handlers/ingest.ts', clients: GATE_CLIENTS },
  Decide: { entry: 'functions/handlers/decide.ts', clients: GATE_CLIENTS },
  Sweep: { entry: 'functions/handlers/sweep.ts', clients: GATE_CLIENTS },
  RuleChange: { entry: 'functions/handlers/rule-change.ts', clients: ['dynamodb', 'sns', 'eventbridge'] },
};

const CLIENT_SOURCE: Record<string, string> = {
  ec2: "import { EC2Client } from '@aws-sdk/client-ec2'; clients.push(new EC2Client({}));",
  dynamodb:
    "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'; clients.push(DynamoDBDocumentClient.from(new DynamoDBClient({})));",
  sns: "import { SNSClient } from '@aws-sdk/client-sns'; clients.push(new SNSClient({}));",
  eventbridge:
    "import { EventBridgeClient } from '@aws-sdk/client-eventbridge'; clients.push(new EventBridgeClient({}));",
  organizations:
    "import { OrganizationsClient } from '@aws-sdk/client-organizations'; clients.push(new OrganizationsClient({}));",
};

const ENV = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  RULES_TABLE: 'rules',
  LEDGER_TABLE: 'ledger',
  DECISIONS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:decisions',
  INGEST_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:ingest',
  GATE_BUS_NAME: 'gate',
  ORGANIZATIONS_LOOKUP: 'false',
  LEDGER_RETENTION_DAYS: '400',
  POWERTOOLS_SERVICE_NAME: 'privatelink-gate',
  POWERTOOLS_METRICS_NAMESPACE: 'PrivateLinkGate',
};

async function bundle(entry: string, outfile: string): Promise<number> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'silent',
    // The floor entries live in a temporary directory: resolve packages from the project.
    nodePaths: [join(ROOT, 'node_modules')],
  });
  return statSync(outfile).size;
}

/** Milliseconds to import the bundle in a fresh process (median of RUNS). */
function initMs(file: string, sourceMaps: boolean): number {
  const samples: number[] = [];
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
  for (let i = 0; i < RUNS; i++) {
    const run = spawnSync(
      process.execPath,
      [...(sourceMaps ? ['--enable-source-maps'] : []), '--input-type=module', '-e', script],
      { env: ENV, encoding: 'utf8', timeout: 60_000 },
    );
    if (run.status !== 0) throw new Error(`importing ${file} failed: ${run.stderr}`);
    samples.push(Number(run.stdout.trim().split('\n').pop()));
  }
  return median(samples);
}

const dir = mkdtempSync(join(tmpdir(), 'plgate-cold-'));
try {
  const results: Record<string, unknown> = {};
  console.log('## Cold start: module init, fresh process, median of', RUNS, '\n');
  console.log(
    '| function | bundle KiB | floor KiB | init ms | floor init ms | ratio | init ms, source maps | floor, source maps | ratio |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, { entry, clients }] of Object.entries(FUNCTIONS)) {
    const file = join(dir, name, 'index.mjs');
    const bundleBytes = await bundle(join(ROOT, entry), file);
    const floorEntry = join(dir, `${name}-floor.mjs`);
    writeFileSync(
      floorEntry,
      `const clients = [];\n${clients.map((c) => CLIENT_SOURCE[c]).join('\n')}\nexport const handler = async () => clients.length;\n`,
    );
    const floorFile = join(dir, `${name}-floor`, 'index.mjs');
    const floorBytes = await bundle(floorEntry, floorFile);
    const init = initMs(file, false);
    const floor = initMs(floorFile, false);
    const initMaps = initMs(file, true);
    const floorMaps = initMs(floorFile, true);
    results[name] = {
      bundleBytes,
      floorBytes,
      initMs: Math.round(init),
      floorMs: Math.round(floor),
      ratio: Number((init / floor).toFixed(2)),
      initMsWithSourceMaps: Math.round(initMaps),
      floorMsWithSourceMaps: Math.round(floorMaps),
    };
    console.log(
      `| ${name} | ${Math.round(bundleBytes / 1024)} | ${Math.round(floorBytes / 1024)} | ${init.toFixed(0)} | ${floor.toFixed(0)} | ${(init / floor).toFixed(2)} | ${initMaps.toFixed(0)} | ${floorMaps.toFixed(0)} | ${(initMaps / floorMaps).toFixed(2)} |`,
    );
  }
  recordResults({ coldStart: results });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
