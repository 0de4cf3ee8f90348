import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BundleSize, measureBundles, sizeTable } from '../../bench/bundle-sizes.ts';
import { ESM_REQUIRE_BANNER } from '../../infra/constructs/gate-function.ts';
import { type DefaultAssembly, defaultAssembly } from './synth.ts';

/** Far above today's bundles, far below Lambda's 250 MB: trips when bundling goes wrong (e.g. a whole tree copied in). */
const MAX_BUNDLE_BYTES = 20 * 1024 * 1024;

/** What each function needs at module load, as the stack sets it (values are placeholders). */
const RUNTIME_ENV = {
  AWS_REGION: 'us-east-1',
  RULES_TABLE: 'rules',
  LEDGER_TABLE: 'ledger',
  DECISIONS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:decisions',
  INGEST_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:ingest',
  GATE_BUS_NAME: 'gate',
  ORGANIZATIONS_LOOKUP: 'false',
  LEDGER_RETENTION_DAYS: '400',
  POWERTOOLS_SERVICE_NAME: 'privatelink-gate',
  POWERTOOLS_METRICS_NAMESPACE: 'PrivateLinkGate',
  NODE_OPTIONS: '--enable-source-maps',
};

let outdir: string;
let synth: DefaultAssembly;
let bundles: BundleSize[];

// The run's one real `cdk synth` (six esbuild bundles through the CDK CLI), kept for any file that asks.
beforeAll(() => {
  synth = defaultAssembly();
  outdir = synth.outdir;
  bundles = synth.status === 0 ? measureBundles(outdir) : [];
  console.info(
    `bundle sizes (cdk synth took ${(synth.durationMs / 1000).toFixed(1)} s):\n${sizeTable(bundles)}`,
  );
}, 600_000);

describe('npm run synth', () => {
  it('works offline, with no AWS credentials, and writes the template and six bundles', () => {
    expect(synth.output).not.toMatch(/Docker/i);
    expect(synth.status, synth.output).toBe(0);
    expect(existsSync(join(outdir, 'PrivateLinkGate.template.json'))).toBe(true);
    expect(bundles.map((bundle) => bundle.name).sort()).toEqual([
      'Decide',
      'Ingest',
      'Operator',
      'Register',
      'RuleChange',
      'Sweep',
    ]);
  });
});

describe('each function bundle', () => {
  it('is minified ESM with the require banner, a source map, and a handler export', () => {
    for (const bundle of bundles) {
      const code = readFileSync(join(bundle.assetDir, 'index.mjs'), 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER), bundle.name).toBe(true);
      expect(code, bundle.name).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}|export\s*\{\s*handler\s*\}/);
      expect(code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map'), bundle.name).toBe(true);
      // Minified: long lines (newlines survive only inside strings and legal comments).
      expect(code.length / code.split('\n').length, bundle.name).toBeGreaterThan(1000);
      expect(bundle.sourceMapBytes, bundle.name).toBeGreaterThan(0);
      const map: { sourcesContent?: unknown } = JSON.parse(
        readFileSync(join(bundle.assetDir, 'index.mjs.map'), 'utf8'),
      );
      expect(map.sourcesContent, bundle.name).toBeUndefined();
    }
  });

  it('bundles the AWS SDK instead of importing it from the runtime', () => {
    for (const bundle of bundles) {
      const code = readFileSync(join(bundle.assetDir, 'index.mjs'), 'utf8');
      expect(code, bundle.name).not.toMatch(/from\s*["']@aws-sdk\//);
      expect(code, bundle.name).not.toMatch(/import\(\s*["']@aws-sdk\//);
      // No require of an SDK package either. The SDK's own error texts quote
      // "[require('@aws-sdk/signature-v4a');]" as advice; those are strings, not calls.
      const requires = [...code.matchAll(/(?<!\[)require\(\s*["'](@aws-sdk\/[^"']+)["']\s*\)/g)].map(
        (m) => m[1],
      );
      expect(requires, bundle.name).toEqual([]);
    }
  });

  it('carries only the SDK clients its handler calls: rule-change has no EC2 client', () => {
    for (const bundle of bundles) {
      const code = readFileSync(join(bundle.assetDir, 'index.mjs'), 'utf8');
      // The EC2 client's operation names are in its bundle only when the client is.
      if (bundle.name === 'RuleChange')
        expect(code, bundle.name).not.toContain('DescribeVpcEndpointConnections');
      else expect(code, bundle.name).toContain('DescribeVpcEndpointConnections');
      expect(code, bundle.name).toContain('PutEvents');
    }
  });

  it('loads in Node.js as Lambda loads it and exports a handler function', () => {
    for (const bundle of bundles) {
      const url = pathToFileURL(join(bundle.assetDir, 'index.mjs')).href;
      const run = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(url)}); console.log(typeof m.handler);`,
        ],
        { env: { PATH: process.env.PATH, ...RUNTIME_ENV }, encoding: 'utf8', timeout: 30_000 },
      );
      expect(run.stderr, bundle.name).toBe('');
      expect(run.stdout.trim(), bundle.name).toBe('function');
    }
  });

  it('contains no AGPL code: the IAM simulator of the local cloud stays out of every Lambda', () => {
    for (const bundle of bundles) {
      const code = readFileSync(join(bundle.assetDir, 'index.mjs'), 'utf8');
      const map: { sources?: string[] } = JSON.parse(
        readFileSync(join(bundle.assetDir, 'index.mjs.map'), 'utf8'),
      );
      expect(code, bundle.name).not.toContain('@cloud-copilot');
      expect(
        map.sources?.filter((source) => /cloud-copilot|local\/iam\//.test(source)) ?? [],
        bundle.name,
      ).toEqual([]);
      // The map does list the bundle's files, so an empty filter means something.
      expect(
        map.sources?.some((source) => source.includes('functions/handlers/')),
        bundle.name,
      ).toBe(true);
    }
  });

  it('carries no X-Ray SDK when SDK tracing is off (the default): it is bundled only for sdkTracing', () => {
    for (const bundle of bundles) {
      const map: { sources?: string[] } = JSON.parse(
        readFileSync(join(bundle.assetDir, 'index.mjs.map'), 'utf8'),
      );
      expect(
        map.sources?.filter((source) => /aws-xray-sdk|cls-hooked|lambda-powertools\/tracer/.test(source)) ??
          [],
        bundle.name,
      ).toEqual([]);
    }
  });

  it('stays well inside the Lambda package limits', () => {
    for (const bundle of bundles) {
      expect(bundle.bundleBytes, bundle.name).toBeGreaterThan(1024);
      expect(bundle.bundleBytes, bundle.name).toBeLessThan(MAX_BUNDLE_BYTES);
    }
  });
});
