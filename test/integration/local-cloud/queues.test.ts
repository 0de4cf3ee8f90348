import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../local/cloud.ts';
import { startTestCloud } from '../../support/local-cloud.ts';

let cloud: LocalCloud & { logs: string[] };

beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(async () => {
  await cloud.stop();
});

const options = { windowMs: 60_000, maxSize: 100, maxReceives: 2, visibilityTimeoutMs: 10 };

describe('in-process SQS queue with an event source mapping', () => {
  it('hands what arrived within the window to one invocation; settle closes the window', async () => {
    const batches: string[][] = [];
    const queue = cloud.queues.create('window', options, async (event: SQSEvent) => {
      batches.push(event.Records.map((r) => r.body));
      return { batchItemFailures: [] };
    });
    for (const body of ['a', 'b', 'c']) queue.send(body);
    await cloud.settle();
    expect(batches).toEqual([['a', 'b', 'c']]);
  });

  it('hands a full batch over without waiting for the window', async () => {
    const batches: number[] = [];
    const queue = cloud.queues.create('full', { ...options, maxSize: 2 }, async (event: SQSEvent) => {
      batches.push(event.Records.length);
      return { batchItemFailures: [] };
    });
    for (const body of ['a', 'b', 'c']) queue.send(body);
    await cloud.settle();
    expect(batches).toEqual([2, 1]);
  });

  it('gives back the reported failures (all of them when the handler throws) and dead-letters them after the last receive', async () => {
    const received: string[] = [];
    const queue = cloud.queues.create('failures', options, async (event: SQSEvent) => {
      received.push(...event.Records.map((r) => `${r.body}#${r.attributes.ApproximateReceiveCount}`));
      if (event.Records.some((r) => r.body === 'boom')) throw new Error('the handler failed');
      const response: SQSBatchResponse = {
        batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({
          itemIdentifier: r.messageId,
        })),
      };
      return response;
    });
    queue.send('good');
    queue.send('bad');
    await cloud.settle();
    queue.send('boom');
    await cloud.settle();
    expect(received).toEqual(['good#1', 'bad#1', 'bad#2', 'boom#1', 'boom#2']);
    expect(queue.deadLetters()).toEqual(['bad', 'boom']);
  });
});
