import type { DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { ItemChange } from '../../../local/dynamodb/streams.ts';
import { FUNCTION_ARN, failed, mappingHarness, ok, STREAM_ARN } from './mapping-harness.ts';

const insert = (id: string): ItemChange => ({
  keys: { pk: { S: id } },
  oldImage: undefined,
  newImage: { pk: { S: id } },
});

const ids = (event: DynamoDBStreamEvent) => event.Records.map((record) => record.dynamodb?.Keys?.pk?.S);

const stream = { EventSourceArn: STREAM_ARN, StartingPosition: 'TRIM_HORIZON' };

describe('a DynamoDB stream event source mapping', () => {
  it('hands the table changes over in batches of BatchSize, with the stream ARN of the mapping', async () => {
    const cloud = mappingHarness(() => ok());
    await cloud.provider.create(
      cloud.request({ ...stream, BatchSize: 2, MaximumBatchingWindowInSeconds: 10 }),
    );
    cloud.streams.emit('rules', ['a', 'b', 'c'].map(insert));
    await cloud.settle();
    expect(cloud.invocations.map(ids)).toEqual([['a', 'b'], ['c']]);
    expect(cloud.invocations[0]?.Records[0]).toMatchObject({
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      eventSourceARN: STREAM_ARN,
      dynamodb: {
        Keys: { pk: { S: 'a' } },
        NewImage: { pk: { S: 'a' } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    await cloud.close();
  });

  it('bisects a failing batch, retries the failing record MaximumRetryAttempts times, then sends it to the on-failure queue', async () => {
    const cloud = mappingHarness((event) => (ids(event).includes('c') ? failed('c is poison') : ok()));
    const onFailure = cloud.queue('stream-failures');
    await cloud.provider.create(
      cloud.request({
        ...stream,
        BatchSize: 4,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnFailure: { Destination: onFailure.arn } },
      }),
    );
    cloud.streams.emit('rules', ['a', 'b', 'c', 'd'].map(insert));
    await cloud.settle();
    expect(cloud.invocations.map(ids)).toEqual([
      ['a', 'b', 'c', 'd'],
      ['a', 'b'],
      ['c', 'd'],
      ['c'],
      ['c'],
      ['d'],
    ]);
    const [record] = cloud.sqs.queues.receive(onFailure, 10);
    const poison = cloud.invocations[3]?.Records[0]?.dynamodb?.SequenceNumber;
    expect(JSON.parse(record?.message.body ?? '{}')).toEqual({
      requestContext: {
        requestId: expect.any(String),
        functionArn: FUNCTION_ARN,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 4,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      DDBStreamBatchInfo: {
        shardId: expect.stringMatching(/^shardId-/),
        startSequenceNumber: poison,
        endSequenceNumber: poison,
        approximateArrivalOfFirstRecord: expect.stringMatching(/Z$/),
        approximateArrivalOfLastRecord: expect.stringMatching(/Z$/),
        batchSize: 1,
        streamArn: STREAM_ARN,
      },
    });
    await cloud.close();
  });

  it('resumes from the first failed record the function reports', async () => {
    let first = true;
    const cloud = mappingHarness((event) => {
      if (!first) return ok({ batchItemFailures: [] });
      first = false;
      return ok({ batchItemFailures: [{ itemIdentifier: event.Records[1]?.dynamodb?.SequenceNumber }] });
    });
    await cloud.provider.create(
      cloud.request({ ...stream, FunctionResponseTypes: ['ReportBatchItemFailures'] }),
    );
    cloud.streams.emit('rules', ['a', 'b', 'c'].map(insert));
    await cloud.settle();
    expect(cloud.invocations.map(ids)).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c'],
    ]);
    await cloud.close();
  });

  it('gives records up once they are older than MaximumRecordAgeInSeconds', async () => {
    const cloud = mappingHarness(() => failed('always'));
    const onFailure = cloud.queue('too-old');
    await cloud.provider.create(
      cloud.request({
        ...stream,
        MaximumRecordAgeInSeconds: 60,
        DestinationConfig: { OnFailure: { Destination: onFailure.arn } },
      }),
    );
    cloud.streams.emit('rules', [insert('a')]);
    await cloud.deliveries.idle();
    expect(cloud.invocations).toHaveLength(1);
    cloud.clock.advance(61_000);
    cloud.timers.fireDue();
    await cloud.deliveries.idle();
    expect(cloud.invocations).toHaveLength(1);
    const [record] = cloud.sqs.queues.receive(onFailure, 10);
    expect(JSON.parse(record?.message.body ?? '{}').requestContext.condition).toBe('RecordAgeExceeded');
    await cloud.close();
  });

  it('refuses stream settings it does not run, and SQS settings on a stream', async () => {
    const cloud = mappingHarness(() => ok());
    await expect(cloud.provider.create(cloud.request({ EventSourceArn: STREAM_ARN }))).rejects.toThrow(
      /StartingPosition must be TRIM_HORIZON or LATEST/,
    );
    await expect(
      cloud.provider.create(cloud.request({ ...stream, FilterCriteria: { Filters: [] } })),
    ).rejects.toThrow(/does not run event source mappings with FilterCriteria/);
    await expect(
      cloud.provider.create(cloud.request({ ...stream, ScalingConfig: { MaximumConcurrency: 2 } })),
    ).rejects.toThrow(/ScalingConfig applies to SQS sources only/);
    await cloud.close();
  });
});
