/**
 * Sizes of the six Lambda bundles as `npm run synth` builds them (esbuild, ESM, minified,
 * AWS SDK included). Run: `npx tsx bench/bundle-sizes.ts`. It synthesizes into a temporary
 * directory through the CDK CLI, offline and without AWS credentials, and prints a
 * Markdown table for BENCHMARKS.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface CliSynth {
  status: number | null;
  output: string;
  durationMs: number;
}

/**
 * `cdk synth --quiet -o outdir` as a provider on a fresh machine would run it: no AWS
 * credentials or profile, no instance metadata, no version check or notices.
 */
export function synthWithCli(outdir: string, context: Record<string, string> = {}): CliSynth {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('CDK_')) env[key] = value;
  }
  Object.assign(env, {
    // As `npm run synth` runs it: with the project's own binaries first on PATH, as npm puts them.
    PATH: [join(PROJECT_ROOT, 'node_modules/.bin'), process.env.PATH].join(delimiter),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: join(outdir, 'no-credentials'),
    AWS_CONFIG_FILE: join(outdir, 'no-config'),
    CDK_DISABLE_VERSION_CHECK: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  });
  const contextArgs = Object.entries(context).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
  const started = performance.now();
  const run = spawnSync(
    join(PROJECT_ROOT, 'node_modules/.bin/cdk'),
    ['synth', '--quiet', '--no-notices', '-o', outdir, ...contextArgs],
    { cwd: PROJECT_ROOT, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  return {
    status: run.status,
    output: `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}`,
    durationMs: performance.now() - started,
  };
}

export interface BundleSize {
  /** The function's construct id: Ingest, Decide, Sweep, RuleChange. */
  name: string;
  assetDir: string;
  bundleBytes: number;
  bundleGzipBytes: number;
  sourceMapBytes: number;
  /** bundle + source map, gzip: close to what Lambda stores as the zip. */
  packageGzipBytes: number;
}

interface TemplateResource {
  Type: string;
  Properties?: { Code?: { S3Key?: unknown } };
  Metadata?: Record<string, unknown>;
}

/** Finds each Lambda's asset directory in a cloud assembly and measures its bundle. */
export function measureBundles(assemblyDir: string): BundleSize[] {
  const templates = readdirSync(assemblyDir).filter((file) => file.endsWith('.template.json'));
  const sizes: BundleSize[] = [];
  for (const file of templates) {
    const template: { Resources: Record<string, TemplateResource> } = JSON.parse(
      readFileSync(join(assemblyDir, file), 'utf8'),
    );
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const key = resource.Properties?.Code?.S3Key;
      if (typeof key !== 'string' || !key.endsWith('.zip')) {
        throw new Error(`${logicalId} has no asset S3Key: ${JSON.stringify(key)}`);
      }
      const assetDir = join(assemblyDir, `asset.${key.slice(0, -'.zip'.length)}`);
      const cdkPath = resource.Metadata?.['aws:cdk:path'];
      // The function's construct under the stack, past PrivateLinkGate's `Default` id: `<stack>/Default/Decide/…`.
      const name =
        typeof cdkPath === 'string'
          ? (cdkPath
              .split('/')
              .slice(1)
              .find((part) => part !== 'Default') ?? logicalId)
          : logicalId;
      const bundle = readFileSync(join(assetDir, 'index.mjs'));
      const mapPath = join(assetDir, 'index.mjs.map');
      const map = existsSync(mapPath) ? readFileSync(mapPath) : Buffer.alloc(0);
      sizes.push({
        name,
        assetDir,
        bundleBytes: statSync(join(assetDir, 'index.mjs')).size,
        bundleGzipBytes: gzipSync(bundle, { level: 9 }).length,
        sourceMapBytes: map.length,
        packageGzipBytes: gzipSync(bundle, { level: 9 }).length + gzipSync(map, { level: 9 }).length,
      });
    }
  }
  return sizes;
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

/** A Markdown table, padded the way Biome formats Markdown (numbers right-aligned). */
export function sizeTable(sizes: BundleSize[]): string {
  const header = ['Function', 'index.mjs', 'index.mjs gzip', 'index.mjs.map', 'bundle + map gzip'];
  const rows = sizes.map((size) => [
    size.name,
    kib(size.bundleBytes),
    kib(size.bundleGzipBytes),
    kib(size.sourceMapBytes),
    kib(size.packageGzipBytes),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join(' | ')} |`;
  const rule = `| ${widths.map((width, column) => (column === 0 ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function main(): void {
  const outdir = mkdtempSync(join(tmpdir(), 'plgate-bundles-'));
  try {
    const synth = synthWithCli(outdir);
    if (synth.status !== 0) throw new Error(`cdk synth failed (${synth.status}):\n${synth.output}`);
    const bundles = measureBundles(outdir);
    console.log(sizeTable(bundles));
    console.log(
      `\ncdk synth (${bundles.length} esbuild bundles, cdk-nag) took ${(synth.durationMs / 1000).toFixed(1)} s`,
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
