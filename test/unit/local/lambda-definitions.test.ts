/**
 * What the Lambda service reads from a template: functions, permissions and async invoke
 * configurations, with Lambda's defaults, and a clear error naming the field and value
 * for anything it cannot run.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FunctionDefinitionError,
  functionArnFrom,
  functionDefinitionOf,
} from '../../../local/lambda/definition.ts';
import { lambdaEnvironment } from '../../../local/lambda/environment.ts';
import {
  asyncInvokeConfigOf,
  InvokeConfigDefinitionError,
  invocationRecord,
} from '../../../local/lambda/invoke-config.ts';
import {
  arnLike,
  callerPolicyOf,
  permissionOf,
  permitsService,
  resourcePolicyOf,
} from '../../../local/lambda/permission.ts';
import { defaultEnvironmentLimit } from '../../../local/lambda/service.ts';
import { LambdaSnapshotError, parseLambdaSnapshot } from '../../../local/lambda/snapshot.ts';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/DecideRole`;
const context = {
  logicalId: 'Decide',
  account: ACCOUNT,
  region: REGION,
  generatedName: () => 'Gate-Decide-ABC123',
  now: new Date('2026-12-07T09:00:00.000Z'),
};
const minimal = { Role: ROLE, Code: { LocalPath: '/cdk.out/asset.abc' } };

describe('a function definition', () => {
  it("takes Lambda's defaults and the generated name when the template gives none", () => {
    expect(functionDefinitionOf(minimal, context)).toEqual({
      name: 'Gate-Decide-ABC123',
      arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:Gate-Decide-ABC123`,
      account: ACCOUNT,
      region: REGION,
      role: ROLE,
      handler: 'index.handler',
      runtime: 'nodejs22.x',
      code: { kind: 'bundle', directory: '/cdk.out/asset.abc' },
      environment: {},
      timeoutSeconds: 3,
      memoryMb: 128,
      reservedConcurrency: undefined,
      description: '',
      architectures: ['x86_64'],
      tracingMode: 'PassThrough',
      lastModified: '2026-12-07T09:00:00.000Z',
    });
  });

  it('reads what the template sets, numbers given as strings included', () => {
    const definition = functionDefinitionOf(
      {
        ...minimal,
        FunctionName: 'plgate-operator',
        Code: { LocalSource: '/repo/functions/handlers/operator.ts' },
        Timeout: '60',
        MemorySize: 512,
        ReservedConcurrentExecutions: 1,
        Environment: { Variables: { RULES_TABLE: 'rules', RETRIES: 3 } },
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      },
      context,
    );
    expect(definition).toMatchObject({
      name: 'plgate-operator',
      code: { kind: 'source', entry: '/repo/functions/handlers/operator.ts' },
      timeoutSeconds: 60,
      memoryMb: 512,
      reservedConcurrency: 1,
      environment: { RULES_TABLE: 'rules', RETRIES: '3' },
      architectures: ['arm64'],
      tracingMode: 'Active',
    });
  });

  it.each([
    [
      { Timeout: 901 },
      /Decide \(AWS::Lambda::Function\): Timeout must be a whole number from 1 to 900, got 901/,
    ],
    [{ MemorySize: 64 }, /MemorySize must be a whole number from 128 to 10240, got 64/],
    [{ Role: 'DecideRole' }, /Role must be an IAM role ARN, got "DecideRole"/],
    [
      { FunctionName: 'has spaces' },
      /FunctionName must be 1 to 64 letters, digits, - or _, got "has spaces"/,
    ],
    [
      { Code: { S3Bucket: 'b', S3Key: 'k' } },
      /Code must be \{ LocalPath: .*got \{"S3Bucket":"b","S3Key":"k"\}/,
    ],
    [{ Runtime: 'python3.12' }, /Runtime must be a Node.js runtime .*got "python3.12"/],
    [
      { Environment: { Variables: { AWS_REGION: 'eu-west-1' } } },
      /Environment.Variables key must be none of the variables Lambda reserves, got "AWS_REGION"/,
    ],
    [
      { ReservedConcurrentExecutions: -1 },
      /ReservedConcurrentExecutions must be a whole number from 0 to 1000, got -1/,
    ],
  ])('refuses %j, naming the field and the value', (change, message) => {
    expect(() => functionDefinitionOf({ ...minimal, ...change }, context)).toThrow(FunctionDefinitionError);
    expect(() => functionDefinitionOf({ ...minimal, ...change }, context)).toThrow(message);
  });

  it('reads a function reference as Lambda does: name, partial ARN, ARN, with or without $LATEST', () => {
    const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:decide`;
    expect(functionArnFrom('decide', ACCOUNT, REGION)).toBe(arn);
    expect(functionArnFrom('decide:$LATEST', ACCOUNT, REGION)).toBe(arn);
    expect(functionArnFrom(`${ACCOUNT}:function:decide`, '111111111111', REGION)).toBe(arn);
    expect(functionArnFrom(arn, '111111111111', 'eu-west-1')).toBe(arn);
    expect(functionArnFrom(`${arn}:$LATEST`, ACCOUNT, REGION)).toBe(arn);
    expect(functionArnFrom('decide:v2', ACCOUNT, REGION)).toBeUndefined();
    expect(functionArnFrom('arn:aws:sns:us-east-1:000000000000:topic', ACCOUNT, REGION)).toBeUndefined();
  });
});

describe("a function's environment", () => {
  it("lays Lambda's own variables and the local overrides over the template's", () => {
    const definition = functionDefinitionOf(
      {
        ...minimal,
        FunctionName: 'decide',
        MemorySize: 256,
        Environment: { Variables: { LANG: 'C', TABLE: 't' } },
      },
      context,
    );
    const env = lambdaEnvironment({
      definition,
      taskRoot: '/cdk.out/asset.abc',
      session: {
        accessKeyId: 'ASIAKEY',
        secretAccessKey: 'secret',
        sessionToken: 'token',
        expiration: new Date(),
      },
      endpoint: 'http://127.0.0.1:4566',
      overrides: { POWERTOOLS_LOG_LEVEL: 'SILENT', TABLE: 'local-table' },
    });
    expect(env).toMatchObject({
      LANG: 'C',
      TABLE: 'local-table',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_REGION: REGION,
      AWS_LAMBDA_FUNCTION_NAME: 'decide',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      _HANDLER: 'index.handler',
      LAMBDA_TASK_ROOT: '/cdk.out/asset.abc',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_ACCESS_KEY_ID: 'ASIAKEY',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    });
    expect(env.PATH).toBeUndefined();
  });
});

describe('a permission', () => {
  const topic = `arn:aws:sns:${REGION}:${ACCOUNT}:ingest`;
  const api = `arn:aws:execute-api:${REGION}:${ACCOUNT}:abc123`;
  const at = { account: ACCOUNT, region: REGION };
  const fromTopic = permissionOf(
    {
      Action: 'lambda:InvokeFunction',
      FunctionName: 'ingest',
      Principal: 'sns.amazonaws.com',
      SourceArn: topic,
    },
    { logicalId: 'IngestFromTopic', id: 'p1', ...at },
  );
  const fromApi = permissionOf(
    {
      Action: 'lambda:InvokeFunction',
      FunctionName: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:register`,
      Principal: 'apigateway.amazonaws.com',
      SourceArn: `${api}/*/*/register`,
    },
    { logicalId: 'RegisterFromApi', id: 'p2', ...at },
  );
  const service = (principal: string, sourceArn: string, sourceAccount = ACCOUNT) =>
    ({ kind: 'service', principal, sourceArn, sourceAccount }) as const;

  it('matches ARNs as ArnLike does', () => {
    expect(arnLike(`${api}/*/*/register`, `${api}/$default/POST/register`)).toBe(true);
    expect(arnLike(`${api}/*/*/register`, `${api}/$default/POST/registered`)).toBe(false);
    expect(arnLike('arn:aws:sns:*:000000000000:in?est', topic)).toBe(true);
    expect(arnLike('arn:aws:sns:us-east-1:000000000000:ingest', `${topic}x`)).toBe(false);
  });

  it('treats every character of a pattern other than * and ? literally', () => {
    fc.assert(
      fc.property(
        fc.string().filter((text) => !text.includes('*') && !text.includes('?')),
        (text) => {
          expect(arnLike(text, text)).toBe(true);
          expect(arnLike(text, `${text}x`)).toBe(false);
        },
      ),
    );
  });

  it('lets only the named service invoke, for the named source', () => {
    expect(permitsService([fromTopic], service('sns.amazonaws.com', topic))).toBe(true);
    expect(permitsService([fromTopic], service('events.amazonaws.com', topic))).toBe(false);
    expect(permitsService([fromTopic], service('sns.amazonaws.com', `${topic}-other`))).toBe(false);
    expect(
      permitsService([fromApi], service('apigateway.amazonaws.com', `${api}/$default/POST/register`)),
    ).toBe(true);
    expect(permitsService([], service('sns.amazonaws.com', topic))).toBe(false);
  });

  it('checks the source account when the permission names one', () => {
    const withAccount = { ...fromTopic, sourceAccount: ACCOUNT };
    expect(permitsService([withAccount], service('sns.amazonaws.com', topic))).toBe(true);
    expect(permitsService([withAccount], service('sns.amazonaws.com', topic, '111111111111'))).toBe(false);
  });

  it("builds the function's resource policy, an account as its root", () => {
    const forAccount = permissionOf(
      { Action: 'lambda:InvokeFunction', FunctionName: 'ingest', Principal: '111111111111' },
      { logicalId: 'Consumer', id: 'p3', ...at },
    );
    const arn = fromTopic.functionArn;
    expect(resourcePolicyOf(arn, [fromTopic, forAccount])?.Statement).toEqual([
      {
        Sid: 'p1',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'lambda:InvokeFunction',
        Resource: arn,
        Condition: { ArnLike: { 'AWS:SourceArn': topic } },
      },
      {
        Sid: 'p3',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111111111111:root' },
        Action: 'lambda:InvokeFunction',
        Resource: arn,
      },
    ]);
    expect(callerPolicyOf(arn, [fromTopic, forAccount])?.Statement.map((s) => s.Sid)).toEqual(['p3']);
    expect(callerPolicyOf(arn, [fromTopic])).toBeUndefined();
  });

  it('refuses a permission it cannot read, naming the field', () => {
    expect(() =>
      permissionOf(
        { Action: 'lambda:InvokeFunction', FunctionName: 'x y', Principal: 'sns.amazonaws.com' },
        {
          logicalId: 'Broken',
          id: 'p',
          ...at,
        },
      ),
    ).toThrow(
      /Broken \(AWS::Lambda::Permission\): FunctionName must be a function name, partial ARN or function ARN, got "x y"/,
    );
  });
});

describe('an async invoke configuration', () => {
  const at = { logicalId: 'IngestAsync', id: 'c1', account: ACCOUNT, region: REGION };
  const queue = `arn:aws:sqs:${REGION}:${ACCOUNT}:ingest-dlq`;

  it("takes Lambda's defaults", () => {
    expect(asyncInvokeConfigOf({ FunctionName: 'ingest', Qualifier: '$LATEST' }, at)).toEqual({
      id: 'c1',
      functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:ingest`,
      maximumRetryAttempts: 2,
      maximumEventAgeSeconds: 21_600,
      onFailure: undefined,
      onSuccess: undefined,
    });
  });

  it('reads retries, age and the on-failure queue; refuses what it cannot honour', () => {
    expect(
      asyncInvokeConfigOf(
        {
          FunctionName: 'ingest',
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 0,
          MaximumEventAgeInSeconds: 3600,
          DestinationConfig: { OnFailure: { Destination: queue } },
        },
        at,
      ),
    ).toMatchObject({ maximumRetryAttempts: 0, maximumEventAgeSeconds: 3600, onFailure: queue });
    const topic = `arn:aws:sns:${REGION}:${ACCOUNT}:failures`;
    expect(() =>
      asyncInvokeConfigOf(
        {
          FunctionName: 'ingest',
          Qualifier: '$LATEST',
          DestinationConfig: { OnFailure: { Destination: topic } },
        },
        at,
      ),
    ).toThrow(InvokeConfigDefinitionError);
    expect(() =>
      asyncInvokeConfigOf({ FunctionName: 'ingest', Qualifier: '$LATEST', MaximumRetryAttempts: 3 }, at),
    ).toThrow(/MaximumRetryAttempts must be a whole number from 0 to 2, got 3/);
    expect(() => asyncInvokeConfigOf({ FunctionName: 'ingest', Qualifier: 'live' }, at)).toThrow(/Qualifier/);
  });

  it("records a failure in Lambda's invocation record shape", () => {
    const record = invocationRecord({
      requestId: 'e4b46cbf-b738-4d2e-8880-a18cdf61200e',
      functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:ingest`,
      condition: 'RetriesExhausted',
      invokeCount: 3,
      event: { Records: [] },
      response: { errorType: 'Error', errorMessage: 'boom' },
      functionError: true,
      at: new Date('2026-12-07T09:00:00.000Z'),
    });
    expect(record).toEqual({
      version: '1.0',
      timestamp: '2026-12-07T09:00:00.000Z',
      requestContext: {
        requestId: 'e4b46cbf-b738-4d2e-8880-a18cdf61200e',
        functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:ingest:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { Records: [] },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'Error', errorMessage: 'boom' },
    });
  });
});

describe("Lambda's snapshot", () => {
  it('reads back what it wrote, and names what is wrong in a damaged one', () => {
    const definition = functionDefinitionOf(minimal, context);
    const snapshot = { version: 1, functions: [definition], permissions: [], invokeConfigs: [] } as const;
    expect(parseLambdaSnapshot(JSON.parse(JSON.stringify(snapshot)))).toEqual(snapshot);
    const damaged = { ...snapshot, functions: [{ ...definition, timeoutSeconds: 'long' }] };
    expect(() => parseLambdaSnapshot(damaged)).toThrow(LambdaSnapshotError);
    expect(() => parseLambdaSnapshot(damaged)).toThrow(/functions\.0\.timeoutSeconds/);
  });
});

describe('environments per function, by default', () => {
  it('one per core, at least 2 and at most 4', () => {
    expect([1, 2, 3, 8].map((cores) => defaultEnvironmentLimit(cores))).toEqual([2, 2, 3, 4]);
  });
});
