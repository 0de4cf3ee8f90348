import { describe, expect, it } from 'vitest';
import { mappingConfig } from '../../../local/event-sources/properties.ts';

const where = { account: '000000000000', region: 'eu-west-1' };
const QUEUE = 'arn:aws:sqs:eu-west-1:000000000000:Gate-DecideQueue-X';
const STREAM = 'arn:aws:dynamodb:eu-west-1:000000000000:table/Gate-Rules-X/stream/2026-01-01T00:00:00.000';

describe('AWS::Lambda::EventSourceMapping properties', () => {
  it("reads the decide queue's mapping as the stack synthesizes it", () => {
    expect(
      mappingConfig(
        'DecideMapping',
        {
          BatchSize: 10000,
          EventSourceArn: QUEUE,
          FunctionName: 'Gate-DecideFunction-X',
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          MaximumBatchingWindowInSeconds: 1,
          Tags: [{ Key: 'project', Value: 'privatelink-gate' }],
        },
        where,
      ),
    ).toEqual({
      kind: 'sqs',
      functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:Gate-DecideFunction-X',
      eventSourceArn: QUEUE,
      batchSize: 10000,
      windowMs: 1000,
      reportBatchItemFailures: true,
      enabled: true,
      maxConcurrency: Number.POSITIVE_INFINITY,
    });
  });

  it("reads the rules stream's mapping with Lambda's defaults", () => {
    expect(
      mappingConfig(
        'RuleChangeMapping',
        {
          BatchSize: 10,
          BisectBatchOnFunctionError: true,
          DestinationConfig: { OnFailure: { Destination: QUEUE } },
          EventSourceArn: STREAM,
          FunctionName: 'arn:aws:lambda:eu-west-1:000000000000:function:Gate-RuleChange-X',
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          MaximumRecordAgeInSeconds: 21600,
          MaximumRetryAttempts: 5,
          StartingPosition: 'TRIM_HORIZON',
        },
        where,
      ),
    ).toMatchObject({
      kind: 'dynamodb',
      tableName: 'Gate-Rules-X',
      batchSize: 10,
      windowMs: 0,
      bisectOnError: true,
      maxRetryAttempts: 5,
      maxRecordAgeSeconds: 21600,
      onFailure: QUEUE,
    });
  });

  it('refuses what Lambda refuses, naming the property and the value', () => {
    const sqs = { EventSourceArn: QUEUE, FunctionName: 'fn' };
    expect(() => mappingConfig('M', { ...sqs, BatchSize: 100 }, where)).toThrow(
      /M: BatchSize 100 above 10 needs MaximumBatchingWindowInSeconds/,
    );
    expect(() => mappingConfig('M', { ...sqs, MaximumBatchingWindowInSeconds: 301 }, where)).toThrow(
      /MaximumBatchingWindowInSeconds must be an integer from 0 to 300, got 301/,
    );
    expect(() => mappingConfig('M', { ...sqs, ScalingConfig: { MaximumConcurrency: 1 } }, where)).toThrow(
      /MaximumConcurrency must be an integer from 2 to 1000, got 1/,
    );
    expect(() => mappingConfig('M', { ...sqs, FunctionResponseTypes: ['Other'] }, where)).toThrow(
      /FunctionResponseTypes may only list ReportBatchItemFailures/,
    );
    expect(() => mappingConfig('M', { ...sqs, StartingPosition: 'LATEST' }, where)).toThrow(
      /StartingPosition applies to stream sources/,
    );
    expect(() =>
      mappingConfig(
        'M',
        { ...sqs, EventSourceArn: 'arn:aws:kinesis:eu-west-1:000000000000:stream/s' },
        where,
      ),
    ).toThrow(/neither an SQS queue nor a DynamoDB stream ARN/);
    expect(() => mappingConfig('M', { ...sqs, FunctionName: 'no spaces please' }, where)).toThrow(
      /FunctionName must be a function name or ARN/,
    );
  });
});
