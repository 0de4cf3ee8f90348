/**
 * A function through the deployer's changes and the cloud's restarts: an update changes
 * what new environments run, a delete removes it, a snapshot brings it back in a new
 * cloud, and `--faults lambda.crash` kills invocations as a dying sandbox would.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Faults } from '../../../local/faults.ts';
import { FunctionNotFoundError, type InvokeResult, type ResourceRequest } from '../../../local/service.ts';
import { fixture, STACK, startTestLambda, type TestLambda } from '../../support/lambda-service.ts';

const INTERNAL = { kind: 'internal' } as const;

function envOf(result: InvokeResult): Record<string, string> {
  if (!result.ok) throw new Error(`the invocation failed: ${result.errorType}: ${result.errorMessage}`);
  return (result.payload as { env: Record<string, string> }).env;
}

describe('a function deployed, updated, deleted and restored', () => {
  let lambda: TestLambda;
  let role: string;
  const others: TestLambda[] = [];

  beforeAll(async () => {
    lambda = await startTestLambda();
    role = lambda.role('ProbeRole');
  });
  afterEach(async () => {
    await Promise.all(others.splice(0).map((other) => other.stop()));
  });
  afterAll(() => lambda.stop());

  const properties = (table: string) => ({
    Code: { LocalPath: fixture('probe') },
    Role: role,
    Environment: { Variables: { TABLE_NAME: table } },
  });
  const provider = (test: TestLambda) => {
    const found = test.service.resources.find((candidate) => candidate.type === 'AWS::Lambda::Function');
    if (found === undefined) throw new Error('no function provider');
    return found;
  };
  const request = (physicalId: string, props: Record<string, unknown>, previous: Record<string, unknown>) =>
    ({
      logicalId: 'Probe',
      properties: props,
      previous,
      physicalId,
      stack: STACK,
      generatedName: () => physicalId,
    }) satisfies ResourceRequest & { physicalId: string; previous: Record<string, unknown> };

  it('runs the new environment variables after an update, in place under the same name', async () => {
    const created = await lambda.create('AWS::Lambda::Function', 'Probe', properties('ledger-v1'));
    const arn = String(created.attributes.Arn);
    expect(envOf(await lambda.service.invoke(arn, {}, INTERNAL)).TABLE_NAME).toBe('ledger-v1');

    const updated = await provider(lambda).update?.(
      request(created.physicalId, properties('ledger-v2'), properties('ledger-v1')),
    );
    expect(updated).toEqual(created);
    expect(envOf(await lambda.service.invoke(arn, {}, INTERNAL)).TABLE_NAME).toBe('ledger-v2');

    const renamed = await provider(lambda).update?.(
      request(
        created.physicalId,
        { ...properties('ledger-v2'), FunctionName: 'new-name' },
        properties('ledger-v2'),
      ),
    );
    expect(renamed).toBe('replace');
  });

  it('answers no more once deleted', async () => {
    const created = await lambda.create('AWS::Lambda::Function', 'Doomed', properties('ledger'));
    await provider(lambda).delete(request(created.physicalId, properties('ledger'), {}));
    await expect(lambda.service.invoke(String(created.attributes.Arn), {}, INTERNAL)).rejects.toBeInstanceOf(
      FunctionNotFoundError,
    );
  });

  it('comes back from a snapshot in a new cloud, with its permissions', async () => {
    const created = await lambda.create('AWS::Lambda::Function', 'Kept', properties('kept-table'));
    const arn = String(created.attributes.Arn);
    const topic = `arn:aws:sns:${STACK.region}:${STACK.account}:ingest`;
    await lambda.create('AWS::Lambda::Permission', 'KeptFromTopic', {
      Action: 'lambda:InvokeFunction',
      FunctionName: arn,
      Principal: 'sns.amazonaws.com',
      SourceArn: topic,
    });
    const snapshot = JSON.parse(JSON.stringify(lambda.service.snapshot()));

    const restarted = await startTestLambda();
    others.push(restarted);
    restarted.role('ProbeRole');
    restarted.service.restore(snapshot);
    const source = {
      kind: 'service',
      principal: 'sns.amazonaws.com',
      sourceArn: topic,
      sourceAccount: STACK.account,
    } as const;
    expect(envOf(await restarted.service.invoke(arn, {}, source)).TABLE_NAME).toBe('kept-table');
  });

  it('lets --faults lambda.crash kill invocations, which then fail as a dead runtime', async () => {
    const crashing = await startTestLambda({ faults: new Faults({ rates: { 'lambda.crash': 1 } }) });
    others.push(crashing);
    const created = await crashing.create('AWS::Lambda::Function', 'Fragile', {
      ...properties('ledger'),
      Role: crashing.role('ProbeRole'),
    });
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => crashing.service.invoke(String(created.attributes.Arn), {}, INTERNAL)),
    );
    for (const result of results) expect(result).toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
  });

  it("starts a new environment with new credentials before the role's session expires", async () => {
    const created = await lambda.create('AWS::Lambda::Function', 'LongLived', properties('ledger'));
    const arn = String(created.attributes.Arn);
    const first = await lambda.service.invoke(arn, {}, INTERNAL);
    lambda.clock.advance(12 * 3_600_000);
    const later = await lambda.service.invoke(arn, {}, INTERNAL);
    expect(envOf(later).AWS_ACCESS_KEY_ID).not.toBe(envOf(first).AWS_ACCESS_KEY_ID);
    expect((later.ok && (later.payload as { environmentId: string }).environmentId) || '').not.toBe(
      (first.ok && (first.payload as { environmentId: string }).environmentId) || '',
    );
  });

  it('records an async event that grew older than its maximum age, without running it again', async () => {
    const queue = `arn:aws:sqs:${STACK.region}:${STACK.account}:aged`;
    const slow = await startTestLambda({ asyncRetryDelayMs: 120_000 });
    others.push(slow);
    const created = await slow.create('AWS::Lambda::Function', 'Aging', {
      ...properties('ledger'),
      Role: slow.role('ProbeRole'),
    });
    const arn = String(created.attributes.Arn);
    await slow.create('AWS::Lambda::EventInvokeConfig', 'AgingAsync', {
      FunctionName: arn,
      Qualifier: '$LATEST',
      MaximumEventAgeInSeconds: 60,
      DestinationConfig: { OnFailure: { Destination: queue } },
    });
    await slow.service.invokeAsync(arn, { fail: 'not yet' }, INTERNAL);
    // The first attempt failed and its retry waits on the cloud's timer...
    await vi.waitFor(() => expect(slow.logs.some((line) => line.includes('retry 1 of 2'))).toBe(true));
    // ...and the clock moves past it, and past the event's maximum age.
    slow.clock.advance(121_000);
    slow.timers.fireDue();
    await slow.deliveries.idle();

    expect(slow.sent.map((sent) => JSON.parse(sent.body).requestContext)).toMatchObject([
      { condition: 'EventAgeExceeded', approximateInvokeCount: 1 },
    ]);
  });
});
