import { describe, expect, it } from 'vitest';
import { MovableClock } from '../../../local/clock.ts';
import { Timers } from '../../../local/deliveries.ts';
import type { ResourceProvider, ResourceRequest } from '../../../local/service.ts';
import { SqsService } from '../../../local/sqs/service.ts';

const stack = {
  name: 'Gate',
  id: 'arn:aws:cloudformation:us-east-1:000000000000:stack/Gate/1',
  account: '000000000000',
  region: 'us-east-1',
};

function setup() {
  const clock = new MovableClock();
  const timers = new Timers(() => {}, clock);
  const sqs = new SqsService({
    endpoint: () => 'http://127.0.0.1:4566',
    authorizer: { authorize: async () => {}, allowsService: async () => false },
    timers,
    clock,
    log: () => {},
  });
  const provider = (type: string) => sqs.resources.find((p) => p.type === type) as ResourceProvider;
  const request = (logicalId: string, properties: Record<string, unknown>): ResourceRequest => ({
    logicalId,
    properties,
    stack,
    generatedName: (max = 128) => `Gate-${logicalId}-ABCDEF123456`.slice(0, max),
  });
  return { sqs, provider, request, timers };
}

describe('AWS::SQS::Queue and AWS::SQS::QueuePolicy', () => {
  it('creates a queue with a generated name, updates it in place and replaces it for a new name', async () => {
    const { sqs, provider, request, timers } = setup();
    const queues = provider('AWS::SQS::Queue');
    const dlq = await queues.create(request('Dlq', {}));
    const properties = {
      VisibilityTimeout: 120,
      RedrivePolicy: { deadLetterTargetArn: dlq.attributes.Arn, maxReceiveCount: 3 },
      SqsManagedSseEnabled: true,
    };
    const main = await queues.create(request('Main', properties));
    expect(main).toEqual({
      physicalId: 'http://127.0.0.1:4566/000000000000/Gate-Main-ABCDEF123456',
      attributes: {
        Arn: 'arn:aws:sqs:us-east-1:000000000000:Gate-Main-ABCDEF123456',
        QueueName: 'Gate-Main-ABCDEF123456',
        QueueUrl: 'http://127.0.0.1:4566/000000000000/Gate-Main-ABCDEF123456',
      },
    });
    const queue = sqs.queues.get(String(main.attributes.Arn));
    expect(queue?.redrivePolicy).toEqual({ deadLetterTargetArn: dlq.attributes.Arn, maxReceiveCount: 3 });

    const update = {
      ...request('Main', { VisibilityTimeout: 60 }),
      physicalId: main.physicalId,
      previous: properties,
    };
    expect(await queues.update?.(update)).toEqual(main);
    expect(queue?.attributes.VisibilityTimeout).toBe('60');
    expect(queue?.redrivePolicy).toBeUndefined();
    expect(await queues.update?.({ ...update, properties: { QueueName: 'renamed' } })).toBe('replace');
    await queues.delete({ ...request('Main', {}), physicalId: main.physicalId });
    expect(sqs.queues.get(String(main.attributes.Arn))).toBeUndefined();
    timers.close();
  });

  it('refuses FIFO queues and unknown properties, naming them', async () => {
    const { provider, request, timers } = setup();
    const queues = provider('AWS::SQS::Queue');
    await expect(queues.create(request('Fifo', { FifoQueue: true, QueueName: 'q.fifo' }))).rejects.toThrow(
      /Fifo \(Gate\):.*FIFO/,
    );
    await expect(queues.create(request('Odd', { Colour: 'blue' }))).rejects.toThrow(/no property Colour/);
    await expect(queues.create(request('Slow', { VisibilityTimeout: 50_000 }))).rejects.toThrow(
      /VisibilityTimeout.*'50000'/,
    );
    timers.close();
  });

  it('sets a queue policy on each queue it lists and removes it on delete', async () => {
    const { sqs, provider, request, timers } = setup();
    const queue = await provider('AWS::SQS::Queue').create(request('Target', { QueueName: 'target' }));
    const policies = provider('AWS::SQS::QueuePolicy');
    const document = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: queue.attributes.Arn,
        },
      ],
    };
    const created = await policies.create(
      request('Policy', { Queues: [queue.physicalId], PolicyDocument: document }),
    );
    expect(created.physicalId).toBe('Gate-Policy-ABCDEF123456');
    const target = sqs.queues.get(String(queue.attributes.Arn));
    expect(JSON.parse(target?.attributes.Policy ?? '{}')).toEqual(document);
    await policies.delete({
      ...request('Policy', { Queues: [queue.physicalId], PolicyDocument: document }),
      physicalId: created.physicalId,
    });
    expect(target?.attributes.Policy).toBeUndefined();
    await expect(
      policies.create(
        request('Lost', { Queues: ['http://127.0.0.1:4566/000000000000/none'], PolicyDocument: document }),
      ),
    ).rejects.toThrow(/Lost \(Gate\): queue .*none: The specified queue does not exist/);
    timers.close();
  });
});
