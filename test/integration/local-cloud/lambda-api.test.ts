/**
 * Lambda's REST API on the edge port, through the AWS CLI (an independent client): list,
 * describe and invoke functions, each call authorised as on AWS (the account's
 * administrator may, a role only as its policy says, another account only as the
 * function's permissions say).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsCliVersion, runAws } from '../../support/aws-cli.ts';
import { ACCOUNT, fixture, REGION, startTestLambda, type TestLambda } from '../../support/lambda-service.ts';

const version = awsCliVersion();
const CONSUMER = '111111111111';

if (version === undefined) {
  it('needs the AWS CLI on PATH', () => {
    throw new Error(
      'the aws CLI is not installed: install it (pip install awscli) to run the Lambda API tests',
    );
  });
}

describe.runIf(version !== undefined)(`Lambda's API through the AWS CLI (${version ?? 'missing'})`, () => {
  let lambda: TestLambda;
  let probeName: string;
  const out = mkdtempSync(join(tmpdir(), 'plgate-lambda-cli-'));
  const admin = () => ({ endpoint: lambda.endpoint, accessKeyId: 'test', region: REGION });

  beforeAll(async () => {
    lambda = await startTestLambda();
    const role = lambda.role('ProbeRole');
    probeName = (
      await lambda.create('AWS::Lambda::Function', 'Probe', {
        Code: { LocalPath: fixture('probe') },
        Handler: 'index.handler',
        Role: role,
        Description: 'shows its runtime',
        Environment: { Variables: { TABLE_NAME: 'ledger' } },
      })
    ).physicalId;
  });
  afterAll(() => lambda.stop());

  const invoke = async (
    target: ReturnType<typeof admin>,
    name: string,
    payload: string,
    extra: string[] = [],
  ) => {
    const file = join(out, `${Math.random()}.json`);
    const answer = (await runAws(target, [
      'lambda',
      'invoke',
      '--function-name',
      name,
      '--payload',
      payload,
      ...extra,
      file,
    ])) as Record<string, unknown>;
    let body: unknown;
    try {
      body = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      body = undefined;
    }
    return { answer, body };
  };

  it('lists and describes the functions', async () => {
    const listed = (await runAws(admin(), ['lambda', 'list-functions'])) as {
      Functions: Record<string, unknown>[];
    };
    expect(listed.Functions.map((fn) => fn.FunctionName)).toEqual([probeName]);
    expect(listed.Functions.find((fn) => fn.FunctionName === probeName)).toMatchObject({
      FunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${probeName}`,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Timeout: 3,
      MemorySize: 128,
      Description: 'shows its runtime',
      Environment: { Variables: { TABLE_NAME: 'ledger' } },
    });
    const got = (await runAws(admin(), ['lambda', 'get-function', '--function-name', probeName])) as {
      Configuration: Record<string, unknown>;
    };
    expect(got.Configuration.FunctionName).toBe(probeName);
  });

  it('invokes a function and returns its answer, or its error as Lambda does', async () => {
    const { answer, body } = await invoke(admin(), probeName, '{"log":"from the CLI"}');
    expect(answer).toMatchObject({ StatusCode: 200, ExecutedVersion: '$LATEST' });
    expect(body).toMatchObject({ env: { TABLE_NAME: 'ledger' } });

    const failed = await invoke(admin(), probeName, '{"fail":"bad event"}');
    expect(failed.answer).toMatchObject({ StatusCode: 200, FunctionError: 'Unhandled' });
    expect(failed.body).toMatchObject({ errorType: 'TypeError', errorMessage: 'bad event' });
  });
});

/** The same API over plain HTTP: the local cloud reads the caller from the credential scope alone. */
describe("Lambda's API: invocation types and who may invoke", () => {
  let lambda: TestLambda;
  let probeArn: string;
  let sharedArn: string;

  beforeAll(async () => {
    lambda = await startTestLambda();
    const role = lambda.role('ProbeRole');
    probeArn = String(
      (
        await lambda.create('AWS::Lambda::Function', 'Probe', {
          Code: { LocalPath: fixture('probe') },
          Role: role,
        })
      ).attributes.Arn,
    );
    sharedArn = String(
      (
        await lambda.create('AWS::Lambda::Function', 'Shared', {
          Code: { LocalPath: fixture('probe') },
          Role: role,
        })
      ).attributes.Arn,
    );
    await lambda.create('AWS::Lambda::Permission', 'ConsumerMayInvoke', {
      Action: 'lambda:InvokeFunction',
      FunctionName: sharedArn,
      Principal: CONSUMER,
    });
  });
  afterAll(() => lambda.stop());

  const call = async (
    accessKeyId: string,
    functionRef: string,
    init: { type?: string; body?: string } = {},
  ) => {
    const response = await fetch(
      `${lambda.endpoint}/2015-03-31/functions/${encodeURIComponent(functionRef)}/invocations`,
      {
        method: 'POST',
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261207/${REGION}/lambda/aws4_request, SignedHeaders=host, Signature=0`,
          ...(init.type === undefined ? {} : { 'x-amz-invocation-type': init.type }),
        },
        body: init.body ?? '{}',
      },
    );
    return {
      status: response.status,
      errorType: response.headers.get('x-amzn-errortype'),
      body: await response.text(),
    };
  };

  it('answers Event with 202 (and runs it) and DryRun with 204', async () => {
    expect(await call('test', probeArn, { type: 'Event' })).toMatchObject({ status: 202, body: '' });
    expect(await call('test', probeArn, { type: 'DryRun' })).toMatchObject({ status: 204, body: '' });
    expect(await call('test', probeArn, { type: 'Sometime' })).toMatchObject({
      status: 400,
      errorType: 'InvalidParameterValueException',
    });
    expect(await call('test', probeArn, { body: '{not json' })).toMatchObject({
      status: 400,
      errorType: 'InvalidRequestContentException',
    });
    await lambda.deliveries.idle();
  });

  it('refuses another account unless a permission names it', async () => {
    expect(await call(CONSUMER, probeArn)).toMatchObject({ status: 403, errorType: 'AccessDeniedException' });
    expect(await call(CONSUMER, sharedArn)).toMatchObject({ status: 200 });
  });

  it('lets a role invoke only as its policy says', async () => {
    lambda.roles.define({ name: 'Reader', account: ACCOUNT, accessKeyId: 'AKIAREADER', statements: [] });
    expect(await call('AKIAREADER', probeArn)).toMatchObject({
      status: 403,
      errorType: 'AccessDeniedException',
    });
    lambda.roles.define({
      name: 'Invoker',
      account: ACCOUNT,
      accessKeyId: 'AKIAINVOKER',
      statements: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: probeArn }],
    });
    expect(await call('AKIAINVOKER', probeArn)).toMatchObject({ status: 200 });
    expect(await call('AKIAINVOKER', sharedArn)).toMatchObject({ status: 403 });
  });

  it('says when there is no such function, or no credentials', async () => {
    expect(await call('test', 'no-such-function')).toMatchObject({
      status: 404,
      errorType: 'ResourceNotFoundException',
    });
    const unsigned = await fetch(`${lambda.endpoint}/2015-03-31/functions/x/invocations`, { method: 'POST' });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });
});
