/**
 * The Lambda runtime of the local cloud runs a function as Lambda would: isolated in a
 * worker with the template's environment and its role's credentials, Lambda's context,
 * timeouts that end the environment, crashes that replace it, logs under its name, the
 * cloud's clock in `Date`, and reserved concurrency.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvokeResult } from '../../../local/service.ts';
import { ACCOUNT, fixture, REGION, startTestLambda, type TestLambda } from '../../support/lambda-service.ts';

const INTERNAL = { kind: 'internal' } as const;

function payloadOf(result: InvokeResult): Record<string, unknown> {
  if (!result.ok) throw new Error(`the invocation failed: ${result.errorType}: ${result.errorMessage}`);
  return result.payload as Record<string, unknown>;
}

describe('the Lambda runtime', () => {
  let lambda: TestLambda;
  let probeArn: string;
  let roleArn: string;

  beforeAll(async () => {
    lambda = await startTestLambda({ environmentOverrides: { POWERTOOLS_LOG_LEVEL: 'DEBUG' } });
    roleArn = lambda.role('ProbeRole');
    const created = await lambda.create('AWS::Lambda::Function', 'Probe', {
      Code: { LocalPath: fixture('probe') },
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Role: roleArn,
      MemorySize: 256,
      Timeout: 1,
      Environment: { Variables: { TABLE_NAME: 'ledger-table' } },
    });
    probeArn = String(created.attributes.Arn);
  });
  afterAll(() => lambda.stop());

  it('gives the function the template environment, what Lambda sets, and its role credentials', async () => {
    const result = payloadOf(await lambda.service.invoke(probeArn, {}, INTERNAL));
    const env = result.env as Record<string, string>;
    const name = probeArn.split(':').at(-1);
    expect(env).toMatchObject({
      TABLE_NAME: 'ledger-table',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      _HANDLER: 'index.handler',
      LAMBDA_TASK_ROOT: fixture('probe'),
      AWS_ENDPOINT_URL: lambda.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    expect(env.AWS_SECRET_ACCESS_KEY).toBeTruthy();
    expect(env.AWS_SESSION_TOKEN).toBeTruthy();
    // The key signs as the function's role, as the local IAM sees it.
    const principal = lambda.roles.principalOf({
      account: ACCOUNT,
      region: REGION,
      service: 'dynamodb',
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
    });
    expect(principal).toMatchObject({ kind: 'role', roleArn });
    expect(result.context).toMatchObject({
      functionName: name,
      invokedFunctionArn: probeArn,
      memoryLimitInMB: '256',
      logGroupName: `/aws/lambda/${name}`,
    });
    const remaining = (result.context as { remainingMs: number }).remainingMs;
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(1000);
  });

  it("sends the function's log lines to functionLog under its name", async () => {
    const marker = `marker-${Date.now()}-${Math.random()}`;
    const name = probeArn.split(':').at(-1) ?? '';
    const line = lambda.lineOf(name, (text) => text.includes(marker));
    payloadOf(await lambda.service.invoke(probeArn, { log: marker }, INTERNAL));
    expect(await line).toBe(marker);
  });

  it('moves Date.now, new Date() and Date() in a live environment when the cloud clock moves', async () => {
    const before = payloadOf(await lambda.service.invoke(probeArn, {}, INTERNAL));
    const hour = 3_600_000;
    lambda.clock.advance(hour);
    const after = payloadOf(await lambda.service.invoke(probeArn, {}, INTERNAL));
    expect(after.environmentId).toBe(before.environmentId);
    const clockBefore = before.clock as { now: number; iso: string };
    const clockAfter = after.clock as { now: number; iso: string; text: string };
    expect(clockAfter.now - clockBefore.now).toBeGreaterThanOrEqual(hour);
    expect(Date.parse(clockAfter.iso) - Date.parse(clockBefore.iso)).toBeGreaterThanOrEqual(hour);
    expect(Date.parse(clockAfter.text)).toBeGreaterThanOrEqual(
      Math.floor(clockBefore.now / 1000) * 1000 + hour,
    );
  });

  it('returns the function error in Lambda shape', async () => {
    const result = await lambda.service.invoke(probeArn, { fail: 'no such rule' }, INTERNAL);
    expect(result).toEqual({ ok: false, errorType: 'TypeError', errorMessage: 'no such rule' });
  });

  it('ends an invocation that outlives its timeout, and the next one starts a new environment', async () => {
    const first = payloadOf(await lambda.service.invoke(probeArn, {}, INTERNAL));
    const timedOut = await lambda.service.invoke(probeArn, { hang: true }, INTERNAL);
    expect(timedOut).toMatchObject({ ok: false, errorType: 'Sandbox.Timedout' });
    expect(timedOut.ok ? '' : timedOut.errorMessage).toMatch(
      /^RequestId: \S+ Error: Task timed out after 1\.00 seconds$/,
    );
    const next = payloadOf(await lambda.service.invoke(probeArn, {}, INTERNAL));
    expect(next.environmentId).not.toBe(first.environmentId);
  });

  it('fails the invocation of an environment that crashes, and replaces the environment', async () => {
    const first = payloadOf(await lambda.service.invoke(probeArn, {}, INTERNAL));
    const crashed = await lambda.service.invoke(probeArn, { crash: true }, INTERNAL);
    expect(crashed).toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
    expect(crashed.ok ? '' : crashed.errorMessage).toContain('crashed outside the handler');
    const next = payloadOf(await lambda.service.invoke(probeArn, {}, INTERNAL));
    expect(next.environmentId).not.toBe(first.environmentId);
  });

  it('runs one invocation at a time with reserved concurrency 1', async () => {
    const created = await lambda.create('AWS::Lambda::Function', 'Lock', {
      Code: { LocalPath: fixture('lock') },
      Handler: 'index.handler',
      Role: roleArn,
      ReservedConcurrentExecutions: 1,
    });
    const lock = join(mkdtempSync(join(tmpdir(), 'plgate-lambda-lock-')), 'held');
    const results = await Promise.all(
      [1, 2, 3, 4].map((id) =>
        lambda.service.invoke(String(created.attributes.Arn), { id, lock, holdMs: 150 }, INTERNAL),
      ),
    );
    expect(results).toEqual([1, 2, 3, 4].map((id) => ({ ok: true, payload: { held: id } })));
  });

  it('lets invocations of a function without a reservation overlap (the lock test can fail)', async () => {
    const created = await lambda.create('AWS::Lambda::Function', 'Overlapping', {
      Code: { LocalPath: fixture('lock') },
      Handler: 'index.handler',
      Role: roleArn,
    });
    const lock = join(mkdtempSync(join(tmpdir(), 'plgate-lambda-lock-')), 'held');
    const results = await Promise.all(
      [1, 2, 3, 4].map((id) =>
        lambda.service.invoke(String(created.attributes.Arn), { id, lock, holdMs: 1000 }, INTERNAL),
      ),
    );
    expect(results.filter((result) => !result.ok).length).toBeGreaterThan(0);
  });
});
