/**
 * Who may invoke a function, and what becomes of an asynchronous invocation: an AWS service
 * needs a permission naming it and its source; a failing event is retried as the function's
 * async invoke configuration says, then recorded to its on-failure destination.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionNotFoundError, InvokeDeniedError } from '../../../local/service.ts';
import { ACCOUNT, fixture, REGION, startTestLambda, type TestLambda } from '../../support/lambda-service.ts';

const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:ingest`;
const OTHER_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:somebody-elses`;
const API_ARN = `arn:aws:execute-api:${REGION}:${ACCOUNT}:abc123`;
const FAILURE_QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:probe-dlq`;

describe('invoking a function', () => {
  let lambda: TestLambda;
  let roleArn: string;
  let probeArn: string;

  beforeAll(async () => {
    lambda = await startTestLambda();
    roleArn = lambda.role('ProbeRole', [
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: FAILURE_QUEUE_ARN },
    ]);
    const probe = await lambda.create('AWS::Lambda::Function', 'Probe', {
      Code: { LocalPath: fixture('probe') },
      Handler: 'index.handler',
      Role: roleArn,
    });
    probeArn = String(probe.attributes.Arn);
    await lambda.create('AWS::Lambda::Permission', 'FromTopic', {
      Action: 'lambda:InvokeFunction',
      FunctionName: probeArn,
      Principal: 'sns.amazonaws.com',
      SourceArn: TOPIC_ARN,
    });
    await lambda.create('AWS::Lambda::Permission', 'FromApi', {
      Action: 'lambda:InvokeFunction',
      FunctionName: probe.physicalId,
      Principal: 'apigateway.amazonaws.com',
      SourceArn: `${API_ARN}/*/*/register`,
      SourceAccount: ACCOUNT,
    });
  });
  afterAll(() => lambda.stop());

  const fromService = (principal: string, sourceArn: string, sourceAccount = ACCOUNT) =>
    ({ kind: 'service', principal, sourceArn, sourceAccount }) as const;

  it('lets a service invoke it only as a permission names the service, the source and its account', async () => {
    await expect(
      lambda.service.invoke(probeArn, {}, fromService('sns.amazonaws.com', TOPIC_ARN)),
    ).resolves.toMatchObject({
      ok: true,
    });
    await expect(
      lambda.service.invoke(
        probeArn,
        {},
        fromService('apigateway.amazonaws.com', `${API_ARN}/$default/POST/register`),
      ),
    ).resolves.toMatchObject({ ok: true });

    await expect(
      lambda.service.invoke(probeArn, {}, fromService('sns.amazonaws.com', OTHER_TOPIC_ARN)),
    ).rejects.toBeInstanceOf(InvokeDeniedError);
    await expect(
      lambda.service.invoke(probeArn, {}, fromService('events.amazonaws.com', TOPIC_ARN)),
    ).rejects.toBeInstanceOf(InvokeDeniedError);
    await expect(
      lambda.service.invoke(
        probeArn,
        {},
        fromService('apigateway.amazonaws.com', `${API_ARN}/$default/POST/other`),
      ),
    ).rejects.toBeInstanceOf(InvokeDeniedError);
    await expect(
      lambda.service.invoke(
        probeArn,
        {},
        fromService('apigateway.amazonaws.com', `${API_ARN}/$default/POST/register`, '111111111111'),
      ),
    ).rejects.toBeInstanceOf(InvokeDeniedError);
    await expect(
      lambda.service.invokeAsync(probeArn, {}, fromService('sns.amazonaws.com', OTHER_TOPIC_ARN)),
    ).rejects.toBeInstanceOf(InvokeDeniedError);
  });

  it('says when there is no such function', async () => {
    await expect(
      lambda.service.invoke(
        `arn:aws:lambda:${REGION}:${ACCOUNT}:function:nothing-here`,
        {},
        { kind: 'internal' },
      ),
    ).rejects.toBeInstanceOf(FunctionNotFoundError);
  });

  it('retries a failing async event as configured, then sends the invocation record to the on-failure queue', async () => {
    await lambda.create('AWS::Lambda::EventInvokeConfig', 'ProbeAsync', {
      FunctionName: probeArn.split(':').at(-1),
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: FAILURE_QUEUE_ARN } },
    });
    const event = { fail: 'the rules table is unreadable', Records: [{ Sns: { Message: 'hello' } }] };
    await lambda.service.invokeAsync(probeArn, event, fromService('sns.amazonaws.com', TOPIC_ARN));
    await lambda.deliveries.idle();

    expect(lambda.sent).toHaveLength(1);
    const [sent] = lambda.sent;
    expect(sent?.queueArn).toBe(FAILURE_QUEUE_ARN);
    expect(sent?.sender).toMatchObject({ kind: 'principal', principal: { kind: 'role', roleArn } });
    const record = JSON.parse(sent?.body ?? '{}');
    expect(record).toMatchObject({
      version: '1.0',
      requestContext: {
        functionArn: `${probeArn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 2,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'TypeError', errorMessage: 'the rules table is unreadable' },
    });
    expect(record.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(record.timestamp))).toBe(false);
    expect(lambda.logs.filter((line) => line.includes('retry 1 of 1'))).toHaveLength(1);
  });

  it('runs an async event that succeeds once, with nothing sent', async () => {
    const before = lambda.sent.length;
    await lambda.service.invokeAsync(probeArn, {}, fromService('sns.amazonaws.com', TOPIC_ARN));
    await lambda.deliveries.idle();
    expect(lambda.sent).toHaveLength(before);
  });
});
