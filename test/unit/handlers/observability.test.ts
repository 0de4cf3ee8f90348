/**
 * SDK-level tracing is opt-in (config `sdkTracing` sets POWERTOOLS_TRACE_ENABLED=true): off,
 * the handlers get no tracing middleware and their clients are left as built; on, in Lambda,
 * each handler gets Powertools' middleware and each client the X-Ray SDK's.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SDK_TRACING_ENV } from '../../../functions/shared/config.ts';

const LAMBDA_ENV = {
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  AWS_LAMBDA_FUNCTION_NAME: 'plgate-test',
  _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
};

/** The module as a fresh container loads it, with this environment. */
async function loadObservability(env: Record<string, string | undefined>) {
  vi.resetModules();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  return import('../../../functions/handlers/observability.ts');
}

const middlewareNames = (client: SNSClient): string[] =>
  client.middlewareStack.identify().map((entry) => entry.split(' ')[0] ?? entry);

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('SDK-level tracing', () => {
  it('is off unless the stack turns it on, even in Lambda', async () => {
    // Prepare
    const { tracing, traced } = await loadObservability({ ...LAMBDA_ENV, [SDK_TRACING_ENV]: undefined });
    const client = new SNSClient({ region: 'us-east-1' });
    const before = middlewareNames(client);

    // Act
    const returned = traced(client);

    // Assess
    expect(tracing).toEqual([]);
    expect(returned).toBe(client);
    expect(middlewareNames(client)).toEqual(before);
  });

  it('stays off when set to anything but true', async () => {
    const { tracing } = await loadObservability({ ...LAMBDA_ENV, [SDK_TRACING_ENV]: 'false' });
    expect(tracing).toEqual([]);
  });

  it('traces the handler and every call of a client when on', async () => {
    // Prepare
    const { tracing, traced } = await loadObservability({ ...LAMBDA_ENV, [SDK_TRACING_ENV]: 'true' });
    const client = new SNSClient({ region: 'us-east-1' });
    const before = middlewareNames(client);

    // Act
    traced(client);

    // Assess
    expect(tracing).toHaveLength(1);
    expect(typeof tracing[0]?.before).toBe('function');
    const added = middlewareNames(client).filter((name) => !before.includes(name));
    expect(added.some((name) => /xray/i.test(name))).toBe(true);
  });
});
