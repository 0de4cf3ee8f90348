import { describe, expect, it } from 'vitest';
import { MovableClock } from '../../../local/clock.ts';
import { Timers } from '../../../local/deliveries.ts';
import { SqsError } from '../../../local/sqs/errors.ts';
import { SqsQueues } from '../../../local/sqs/queues.ts';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

function setup() {
  const clock = new MovableClock();
  const logs: string[] = [];
  const timers = new Timers((line) => logs.push(line), clock);
  const queues = new SqsQueues({
    clock,
    schedule: (ms, label, run) => timers.schedule(ms, label, run),
    log: (line) => logs.push(line),
  });
  const at = (name: string) => ({ account: ACCOUNT, region: REGION, name });
  const send = (queue: ReturnType<SqsQueues['create']>, body: string) =>
    queues.send(queue, { body, messageAttributes: {}, senderId: 'tester' });
  return { clock, timers, queues, at, send, logs };
}

describe('an SQS queue', () => {
  it('hides a received message for the visibility timeout and counts each receive', () => {
    const { clock, timers, queues, at, send } = setup();
    const queue = queues.create(at('visibility'), { VisibilityTimeout: '30' });
    send(queue, 'a');
    const [first] = queues.receive(queue, 10);
    expect(first?.message.receiveCount).toBe(1);
    expect(queues.receive(queue, 10)).toEqual([]);
    expect(queue.counts()).toEqual({ visible: 0, notVisible: 1, delayed: 0 });
    clock.advance(29_000);
    timers.fireDue();
    expect(queues.receive(queue, 10)).toEqual([]);
    clock.advance(1_000);
    timers.fireDue();
    const [second] = queues.receive(queue, 10, 5);
    expect(second?.message.receiveCount).toBe(2);
    expect(second?.message.firstReceiveAt).toBe(first?.message.firstReceiveAt);
    // The override of 5 s, and flushing the timers (settle) makes it visible at once.
    timers.flush();
    expect(queues.receive(queue, 10).map((r) => r.message.receiveCount)).toEqual([3]);
    timers.close();
  });

  it('moves a message received maxReceiveCount times to the dead-letter queue on its next receive', () => {
    const { timers, queues, at, send } = setup();
    const dlq = queues.create(at('dlq'), {});
    const queue = queues.create(at('redriven'), {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    const sent = send(queue, 'poison');
    for (const expected of [1, 2]) {
      expect(queues.receive(queue, 1).map((r) => r.message.receiveCount)).toEqual([expected]);
      timers.flush();
    }
    expect(queues.receive(queue, 1)).toEqual([]);
    const [dead] = queues.receive(dlq, 1);
    expect(dead?.message).toMatchObject({
      messageId: sent.messageId,
      body: 'poison',
      deadLetterQueueSourceArn: queue.arn,
    });
    timers.close();
  });

  it('refuses a redrive policy whose dead-letter queue does not exist', () => {
    const { queues, at } = setup();
    expect(() =>
      queues.create(at('orphan'), {
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:nowhere`,
          maxReceiveCount: 3,
        }),
      }),
    ).toThrow(/Dead-letter target does not exist/);
  });

  it('delays a message, deletes by the latest receipt only, and lets ChangeMessageVisibility show it again', () => {
    const { clock, timers, queues, at, send } = setup();
    const queue = queues.create(at('delayed'), { DelaySeconds: '10' });
    send(queue, 'later');
    expect(queue.counts()).toEqual({ visible: 0, notVisible: 0, delayed: 1 });
    clock.advance(10_000);
    timers.fireDue();
    const [first] = queues.receive(queue, 1);
    if (first === undefined) throw new Error('expected the delayed message');
    queue.changeVisibility(first.receiptHandle, 0);
    const [second] = queues.receive(queue, 1);
    if (second === undefined) throw new Error('expected the message again');
    queue.delete(first.receiptHandle);
    expect(queue.counts().notVisible).toBe(1);
    queue.delete(second.receiptHandle);
    expect(queue.counts()).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
    expect(() => queue.changeVisibility(second.receiptHandle, 10)).toThrow(SqsError);
    expect(() => queue.delete('not-a-handle')).toThrow(/not a valid receipt handle/);
    timers.close();
  });

  it('drops messages past the retention period', () => {
    const { clock, queues, at, send, timers } = setup();
    const queue = queues.create(at('retention'), { MessageRetentionPeriod: '60' });
    send(queue, 'old');
    clock.advance(60_000);
    expect(queues.receive(queue, 1)).toEqual([]);
    timers.close();
  });

  it('keeps queues, attributes and messages across a snapshot and restore', () => {
    const first = setup();
    const dlq = first.queues.create(first.at('saved-dlq'), {});
    const queue = first.queues.create(first.at('saved'), {
      VisibilityTimeout: '45',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
    });
    first.send(queue, 'received-once');
    first.send(queue, 'never-received');
    first.queues.receive(queue, 1);
    const saved = JSON.parse(JSON.stringify(first.queues.snapshot()));
    first.timers.close();

    const second = setup();
    second.queues.restore(saved);
    const restored = second.queues.find(second.at('saved'));
    expect(restored?.attributes.VisibilityTimeout).toBe('45');
    expect(restored?.counts()).toEqual({ visible: 1, notVisible: 1, delayed: 0 });
    second.timers.flush();
    if (restored === undefined) throw new Error('expected the queue back');
    // The one received once (maxReceiveCount 1) goes to the dead-letter queue on this receive.
    expect(second.queues.receive(restored, 10).map((r) => r.message.body)).toEqual(['never-received']);
    expect(second.queues.find(second.at('saved-dlq'))?.counts().visible).toBe(1);
    expect(() => second.queues.restore({ queues: 'nope' })).toThrow(/sqs snapshot/);
    second.timers.close();
  });
});
