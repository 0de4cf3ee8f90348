/**
 * The gate's real decide handler, run from its TypeScript source as `plgate local` runs it
 * without `--stack`: bundled (or taken from the bundle cache) and started cold in a worker
 * with the environment the stack gives it. Prints how long the cold starts took.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceBundle } from '../../../local/lambda/source-bundle.ts';
import { ACCOUNT, REGION, startTestLambda, type TestLambda } from '../../support/lambda-service.ts';

const DECIDE_SOURCE = fileURLToPath(new URL('../../../functions/handlers/decide.ts', import.meta.url));

/** What the stack gives the gate's functions (infra/gate-stack.ts). */
const ENVIRONMENT = {
  RULES_TABLE: 'PrivateLinkGate-Rules',
  LEDGER_TABLE: 'PrivateLinkGate-Ledger',
  DECISIONS_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:decisions`,
  INGEST_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:ingest`,
  GATE_BUS_NAME: 'privatelink-gate',
  ORGANIZATIONS_LOOKUP: 'false',
  LEDGER_RETENTION_DAYS: '400',
  POWERTOOLS_SERVICE_NAME: 'privatelink-gate',
  POWERTOOLS_METRICS_NAMESPACE: 'PrivateLinkGate',
  POWERTOOLS_TRACE_ENABLED: 'false',
  NODE_OPTIONS: '--enable-source-maps',
};

/** One message whose body is not a Connection Event: decide reports it failed, calling nothing. */
const sqsEvent = {
  Records: [
    {
      messageId: 'message-1',
      receiptHandle: 'handle-1',
      body: 'not json',
      attributes: {},
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:decide`,
      awsRegion: REGION,
    },
  ],
};

describe('the decide handler run from source', () => {
  let lambda: TestLambda;
  let roleArn: string;
  const bundleCache = mkdtempSync(join(tmpdir(), 'plgate-bundles-'));

  beforeAll(async () => {
    lambda = await startTestLambda({ bundleCache, environmentOverrides: { POWERTOOLS_LOG_LEVEL: 'ERROR' } });
    roleArn = lambda.role('DecideRole');
  });
  afterAll(() => lambda.stop());

  const deploy = async (logicalId: string) =>
    String(
      (
        await lambda.create('AWS::Lambda::Function', logicalId, {
          Code: { LocalSource: DECIDE_SOURCE },
          Handler: 'index.handler',
          Runtime: 'nodejs22.x',
          Role: roleArn,
          MemorySize: 512,
          Timeout: 60,
          Environment: { Variables: ENVIRONMENT },
        })
      ).attributes.Arn,
    );

  const timed = async (arn: string) => {
    const started = performance.now();
    const result = await lambda.service.invoke(arn, sqsEvent, { kind: 'internal' });
    return { result, ms: Math.round(performance.now() - started) };
  };

  it('runs cold in a worker, bundled once and then from the cache', async () => {
    const first = await timed(await deploy('Decide'));
    expect(first.result).toEqual({
      ok: true,
      payload: { batchItemFailures: [{ itemIdentifier: 'message-1' }] },
    });
    const warm = await timed(await deploy('DecideAgain'));
    expect(warm.result).toEqual(first.result);
    expect(lambda.logs.filter((line) => line.includes('bundled'))).toHaveLength(1);
    console.info(
      `decide cold start from source: ${first.ms} ms with the bundle built, ${warm.ms} ms from the bundle cache`,
    );
  });
});

describe('the bundle cache', () => {
  it('reuses a bundle while its sources are unchanged, and rebuilds it when one changes', async () => {
    const sources = mkdtempSync(join(tmpdir(), 'plgate-source-'));
    // A cache folder that does not exist yet, as on a machine's first start.
    const cache = join(mkdtempSync(join(tmpdir(), 'plgate-bundles-')), 'not-yet');
    const entry = join(sources, 'handler.ts');
    writeFileSync(
      entry,
      "import { greeting } from './greeting.ts';\nexport const handler = async () => greeting;\n",
    );
    writeFileSync(join(sources, 'greeting.ts'), "export const greeting: string = 'hello';\n");

    const first = await sourceBundle(entry, 'index', {}, cache);
    const again = await sourceBundle(entry, 'index', {}, cache);
    writeFileSync(join(sources, 'greeting.ts'), "export const greeting: string = 'hello again';\n");
    const changed = await sourceBundle(entry, 'index', {}, cache);

    expect(first.built).toBe(true);
    expect(again).toEqual({ directory: first.directory, built: false });
    expect(changed.built).toBe(true);
    expect(readFileSync(join(changed.directory, 'index.mjs'), 'utf8')).toContain('hello again');
  });
});

describe('bundles asked for together', () => {
  it('are built in one run, each in its own folder with its own inputs; one that does not build fails alone', async () => {
    const sources = mkdtempSync(join(tmpdir(), 'plgate-source-'));
    const cache = mkdtempSync(join(tmpdir(), 'plgate-bundles-'));
    writeFileSync(join(sources, 'shared.ts'), "export const shared: string = 'shared';\n");
    writeFileSync(join(sources, 'only-a.ts'), "export const a: string = 'only in a';\n");
    writeFileSync(
      join(sources, 'a.ts'),
      "import { shared } from './shared.ts';\nimport { a } from './only-a.ts';\nexport const handler = async () => shared + a;\n",
    );
    writeFileSync(
      join(sources, 'b.ts'),
      "import { shared } from './shared.ts';\nexport const handler = async () => shared;\n",
    );
    writeFileSync(
      join(sources, 'broken.ts'),
      "import { nothing } from './missing.ts';\nexport const handler = nothing;\n",
    );

    const [a, b, broken] = await Promise.allSettled([
      sourceBundle(join(sources, 'a.ts'), 'index', {}, cache),
      sourceBundle(join(sources, 'b.ts'), 'index', {}, cache),
      sourceBundle(join(sources, 'broken.ts'), 'index', {}, cache),
    ]);
    if (a.status !== 'fulfilled' || b.status !== 'fulfilled') throw new Error('a or b did not build');
    expect(a.value.directory).not.toBe(b.value.directory);
    expect(readFileSync(join(a.value.directory, 'index.mjs'), 'utf8')).toContain('only in a');
    expect(readFileSync(join(b.value.directory, 'index.mjs'), 'utf8')).not.toContain('only in a');
    expect(broken.status === 'rejected' ? String(broken.reason) : 'built').toMatch(
      /cannot bundle .*broken\.ts/,
    );
    // b does not depend on only-a.ts: changing it leaves b's bundle current.
    writeFileSync(join(sources, 'only-a.ts'), "export const a: string = 'changed';\n");
    expect((await sourceBundle(join(sources, 'b.ts'), 'index', {}, cache)).built).toBe(false);
    expect((await sourceBundle(join(sources, 'a.ts'), 'index', {}, cache)).built).toBe(true);
  });
});
