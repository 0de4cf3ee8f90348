import type { SQSBatchResponse } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, failed, mappingHarness, ok, REGION } from './mapping-harness.ts';

describe('an SQS event source mapping', () => {
  it('hands what arrived within the batching window to one invocation, in the SQSEvent shape', async () => {
    const cloud = mappingHarness(() => ok());
    const queue = cloud.queue('window');
    await cloud.provider.create(
      cloud.request({ EventSourceArn: queue.arn, BatchSize: 10, MaximumBatchingWindowInSeconds: 5 }),
    );
    for (const body of ['a', 'b', 'c']) cloud.send(queue, body);
    await cloud.deliveries.idle();
    expect(cloud.invocations).toEqual([]);
    await cloud.settle();
    expect(cloud.invocations.map((event) => event.Records.map((r) => r.body))).toEqual([['a', 'b', 'c']]);
    expect(cloud.invocations[0]?.Records[0]).toEqual({
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      body: 'a',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^[0-9]{13}$/),
        SenderId: 'AIDATESTSENDER',
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^[0-9]{13}$/),
      },
      messageAttributes: {},
      md5OfBody: '0cc175b9c0f1b6a831c399e269772661',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:window`,
      awsRegion: REGION,
    });
    // Deleted after success.
    expect(queue.counts()).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
    await cloud.close();
  });

  it('hands a full batch over without waiting for the window', async () => {
    const cloud = mappingHarness(() => ok());
    const queue = cloud.queue('full');
    await cloud.provider.create(
      cloud.request({ EventSourceArn: queue.arn, BatchSize: 2, MaximumBatchingWindowInSeconds: 60 }),
    );
    for (const body of ['a', 'b', 'c', 'd', 'e']) cloud.send(queue, body);
    await cloud.deliveries.idle();
    expect(cloud.invocations.map((event) => event.Records.length)).toEqual([2, 2]);
    await cloud.settle();
    expect(cloud.invocations.map((event) => event.Records.length)).toEqual([2, 2, 1]);
    await cloud.close();
  });

  it('gives back reported failures (all of them when the function fails) and dead-letters them after maxReceiveCount', async () => {
    const cloud = mappingHarness((event) => {
      if (event.Records.some((r) => r.body === 'boom')) return failed('the handler failed');
      const response: SQSBatchResponse = {
        batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({
          itemIdentifier: r.messageId,
        })),
      };
      return ok(response);
    });
    const dlq = cloud.queue('dlq');
    const queue = cloud.queue('failures', {
      VisibilityTimeout: '30',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    await cloud.provider.create(
      cloud.request({
        EventSourceArn: queue.arn,
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    );
    cloud.send(queue, 'good');
    cloud.send(queue, 'bad');
    await cloud.settle();
    cloud.send(queue, 'boom');
    await cloud.settle();
    const received = cloud.invocations.flatMap((event) =>
      event.Records.map((r) => `${r.body}#${r.attributes.ApproximateReceiveCount}`),
    );
    expect(received).toEqual(['good#1', 'bad#1', 'bad#2', 'boom#1', 'boom#2']);
    expect(cloud.sqs.queues.receive(dlq, 10).map((r) => r.message.body)).toEqual(['bad', 'boom']);
    expect(queue.counts()).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
    await cloud.close();
  });

  it('treats a batch item failure that names no message of the batch as a failed batch, and ignores failures it was not asked to read', async () => {
    const response = ok({ batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] });
    const reporting = mappingHarness(() => response);
    const queue = reporting.queue('strict', { VisibilityTimeout: '10' });
    await reporting.provider.create(
      reporting.request({ EventSourceArn: queue.arn, FunctionResponseTypes: ['ReportBatchItemFailures'] }),
    );
    reporting.send(queue, 'x');
    await reporting.deliveries.idle();
    expect(queue.counts().notVisible).toBe(1);
    await reporting.close();

    const plain = mappingHarness(() => response);
    const other = plain.queue('lenient');
    await plain.provider.create(plain.request({ EventSourceArn: other.arn }));
    plain.send(other, 'x');
    await plain.deliveries.idle();
    expect(other.counts()).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
    await plain.close();
  });

  it('runs no more batches at once than ScalingConfig.MaximumConcurrency', async () => {
    let running = 0;
    let most = 0;
    const releases: Array<() => void> = [];
    const cloud = mappingHarness(async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running -= 1;
      return ok();
    });
    const queue = cloud.queue('concurrency');
    await cloud.provider.create(
      cloud.request({ EventSourceArn: queue.arn, BatchSize: 1, ScalingConfig: { MaximumConcurrency: 2 } }),
    );
    for (let i = 0; i < 6; i += 1) cloud.send(queue, `m${i}`);
    while (cloud.invocations.length < 6) {
      await new Promise((resolve) => setImmediate(resolve));
      for (const release of releases.splice(0)) release();
    }
    await cloud.settle();
    expect(most).toBe(2);
    expect(queue.counts()).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
    await cloud.close();
  });

  it('polls nothing while disabled, and starts when enabled; stops when deleted', async () => {
    const cloud = mappingHarness(() => ok());
    const queue = cloud.queue('toggled');
    const properties = { EventSourceArn: queue.arn, Enabled: false };
    const mapping = await cloud.provider.create(cloud.request(properties));
    cloud.send(queue, 'waiting');
    await cloud.settle();
    expect(cloud.invocations).toEqual([]);
    await cloud.provider.update?.({
      ...cloud.request({ ...properties, Enabled: true }),
      physicalId: mapping.physicalId,
      previous: properties,
    });
    await cloud.settle();
    expect(cloud.invocations).toHaveLength(1);
    await cloud.provider.delete({ ...cloud.request(properties), physicalId: mapping.physicalId });
    cloud.send(queue, 'after delete');
    await cloud.settle();
    expect(cloud.invocations).toHaveLength(1);
    await cloud.close();
  });

  it('refuses a mapping whose function role may not receive from the queue', async () => {
    const cloud = mappingHarness(() => ok(), {
      statements: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }],
    });
    const queue = cloud.queue('guarded');
    await expect(cloud.provider.create(cloud.request({ EventSourceArn: queue.arn }))).rejects.toThrow(
      /Mapping: the execution role worker-role may not read .*sqs:ReceiveMessage/,
    );
    await expect(
      cloud.provider.create(cloud.request({ EventSourceArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:missing` })),
    ).rejects.toThrow(/queue .*missing does not exist/);
    await cloud.close();
  });
});
