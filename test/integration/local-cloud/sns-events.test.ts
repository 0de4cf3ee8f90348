import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  ListTopicsCommand,
  PublishCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import type { EventBridgeEvent, SNSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../local/cloud.ts';
import {
  awsError,
  CONSUMER_A,
  eventsFor,
  PROVIDER_ACCOUNT,
  snsFor,
  startTestCloud,
} from '../../support/local-cloud.ts';

let cloud: LocalCloud & { logs: string[] };
let sns: SNSClient;

beforeAll(async () => {
  cloud = await startTestCloud();
  sns = snsFor(cloud);
});
afterAll(async () => {
  await cloud.stop();
});

async function topic(name: string): Promise<string> {
  const created = await sns.send(new CreateTopicCommand({ Name: name }));
  return created.TopicArn ?? '';
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('SNS topics', () => {
  it('creates, lists and deletes topics per account and region', async () => {
    const arn = await topic('decisions');
    expect(arn).toBe(`arn:aws:sns:us-east-1:${PROVIDER_ACCOUNT}:decisions`);
    expect(await topic('decisions')).toBe(arn);
    const listed = await sns.send(new ListTopicsCommand({}));
    expect(listed.Topics?.map((entry) => entry.TopicArn)).toContain(arn);
    const consumerTopics = await snsFor(cloud, CONSUMER_A).send(new ListTopicsCommand({}));
    expect(consumerTopics.Topics ?? []).toEqual([]);
    await sns.send(new DeleteTopicCommand({ TopicArn: arn }));
    const after = await sns.send(new ListTopicsCommand({}));
    expect(after.Topics?.map((entry) => entry.TopicArn) ?? []).not.toContain(arn);
    const badName = await awsError(sns.send(new CreateTopicCommand({ Name: 'no spaces' })));
    expect(badName.name).toBe('InvalidParameterException');
  });
});

describe('SNS Publish', () => {
  it('captures a message and delivers it to subscribers as an SNSEvent', async () => {
    const arn = await topic('publish-plain');
    const events: SNSEvent[] = [];
    const published: string[] = [];
    cloud.sns.subscribe(arn, async (event) => {
      events.push(event);
    });
    const stopListening = cloud.sns.onPublish((message) => published.push(message.messageId));
    const result = await sns.send(
      new PublishCommand({
        TopicArn: arn,
        Message: 'connection accepted',
        Subject: 'Decision',
        MessageAttributes: {
          decision: { DataType: 'String', StringValue: 'accept' },
          count: { DataType: 'Number', StringValue: '3' },
          blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );
    stopListening();
    expect(result.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(published).toEqual([result.MessageId]);
    await cloud.idle();
    expect(events).toHaveLength(1);
    expect(events[0]?.Records[0]?.Sns).toMatchObject({
      Type: 'Notification',
      MessageId: result.MessageId,
      TopicArn: arn,
      Subject: 'Decision',
      Message: 'connection accepted',
      SignatureVersion: '1',
      MessageAttributes: {
        decision: { Type: 'String', Value: 'accept' },
        count: { Type: 'Number', Value: '3' },
        blob: { Type: 'Binary', Value: 'AQID' },
      },
    });
    const captured = cloud.sns.messages().find((message) => message.messageId === result.MessageId);
    expect(captured).toMatchObject({ topicArn: arn, subject: 'Decision', publisher: PROVIDER_ACCOUNT });
    const admin: unknown = await (
      await fetch(`${cloud.endpoint}/_plgate/sns-messages?topicArn=${encodeURIComponent(arn)}`)
    ).json();
    expect(admin).toEqual({ messages: [captured] });
  });

  it('hands a Lambda subscriber the lambda entry of a JSON message, else default', async () => {
    const arn = await topic('publish-json');
    const messages: string[] = [];
    cloud.sns.subscribe(arn, async (event) => {
      for (const record of event.Records) messages.push(record.Sns.Message);
    });
    await sns.send(
      new PublishCommand({
        TopicArn: arn,
        MessageStructure: 'json',
        Message: JSON.stringify({ default: 'for everyone', lambda: '{"decision":"accept"}' }),
      }),
    );
    await sns.send(
      new PublishCommand({
        TopicArn: arn,
        MessageStructure: 'json',
        Message: JSON.stringify({ default: 'only default' }),
      }),
    );
    await cloud.idle();
    expect(messages).toEqual(['{"decision":"accept"}', 'only default']);
    expect(cloud.sns.messages().filter((message) => message.topicArn === arn)[0]?.messageStructure).toBe(
      'json',
    );
  });

  it('answers bad publishes with SNS error codes', async () => {
    const arn = await topic('publish-errors');
    const notFound = await awsError(
      sns.send(
        new PublishCommand({ TopicArn: `arn:aws:sns:us-east-1:${PROVIDER_ACCOUNT}:missing`, Message: 'x' }),
      ),
    );
    expect(notFound.name).toBe('NotFoundException');
    expect(notFound.$metadata?.httpStatusCode).toBe(404);
    const noDefault = await awsError(
      sns.send(new PublishCommand({ TopicArn: arn, MessageStructure: 'json', Message: '{"email":"x"}' })),
    );
    expect(noDefault.name).toBe('InvalidParameterException');
    expect(noDefault.message).toContain('No default entry');
    const notJson = await awsError(
      sns.send(new PublishCommand({ TopicArn: arn, MessageStructure: 'json', Message: '{' })),
    );
    expect(notJson.name).toBe('InvalidParameterException');
    const longSubject = await awsError(
      sns.send(new PublishCommand({ TopicArn: arn, Message: 'x', Subject: 'y'.repeat(101) })),
    );
    expect(longSubject.name).toBe('InvalidParameterException');
    const emptyAttribute = await awsError(
      sns.send(
        new PublishCommand({ TopicArn: arn, Message: 'x', MessageAttributes: { a: { DataType: 'String' } } }),
      ),
    );
    expect(emptyAttribute.name).toBe('InvalidParameterValueException');
    const badArn = await awsError(sns.send(new PublishCommand({ TopicArn: 'not-an-arn', Message: 'x' })));
    expect(badArn.name).toBe('InvalidParameterException');
  });
});

describe('in-process delivery', () => {
  it('delivers one message at a time per subscriber', async () => {
    const arn = await topic('serial');
    const firstStarted = deferred();
    const releaseFirst = deferred();
    const order: string[] = [];
    cloud.sns.subscribe(arn, async (event) => {
      const message = event.Records[0]?.Sns.Message ?? '';
      order.push(`start ${message}`);
      if (message === 'one') {
        firstStarted.resolve();
        await releaseFirst.promise;
      }
      order.push(`end ${message}`);
    });
    await sns.send(new PublishCommand({ TopicArn: arn, Message: 'one' }));
    await firstStarted.promise;
    await sns.send(new PublishCommand({ TopicArn: arn, Message: 'two' }));
    expect(order).toEqual(['start one']);
    releaseFirst.resolve();
    await cloud.idle();
    expect(order).toEqual(['start one', 'end one', 'start two', 'end two']);
  });

  it('retries a failing subscriber twice, then logs and gives up', async () => {
    const flaky = await topic('flaky');
    const broken = await topic('broken');
    let flakyCalls = 0;
    let brokenCalls = 0;
    cloud.sns.subscribe(flaky, async () => {
      flakyCalls += 1;
      if (flakyCalls < 3) throw new Error(`transient ${flakyCalls}`);
    });
    cloud.sns.subscribe(broken, async () => {
      brokenCalls += 1;
      throw new Error('always broken');
    });
    await sns.send(new PublishCommand({ TopicArn: flaky, Message: 'x' }));
    await sns.send(new PublishCommand({ TopicArn: broken, Message: 'x' }));
    await cloud.idle();
    expect(flakyCalls).toBe(3);
    expect(brokenCalls).toBe(3);
    expect(
      cloud.logs.some((line) => line.includes('failed after 3 attempts') && line.includes('always broken')),
    ).toBe(true);
    expect(cloud.logs.some((line) => line.includes('retrying') && line.includes('transient 1'))).toBe(true);
  });

  it('stops delivering after unsubscribe', async () => {
    const arn = await topic('unsubscribed');
    let calls = 0;
    const unsubscribe = cloud.sns.subscribe(arn, async () => {
      calls += 1;
    });
    await sns.send(new PublishCommand({ TopicArn: arn, Message: 'x' }));
    await cloud.idle();
    unsubscribe();
    await sns.send(new PublishCommand({ TopicArn: arn, Message: 'y' }));
    await cloud.idle();
    expect(calls).toBe(1);
  });
});

describe('EventBridge PutEvents', () => {
  it('delivers matching events to subscribers of the bus in the Lambda shape', async () => {
    const received: EventBridgeEvent<string, unknown>[] = [];
    let other = 0;
    cloud.events.subscribe(
      'gate-bus',
      (event) => event['detail-type'] === 'Connection Event',
      async (event) => {
        received.push(event);
      },
    );
    cloud.events.subscribe(
      'another-bus',
      () => true,
      async () => {
        other += 1;
      },
    );
    const result = await eventsFor(cloud).send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'gate-bus',
            Source: 'privatelink-gate',
            DetailType: 'Connection Event',
            Detail: JSON.stringify({ serviceId: 'vpce-svc-0123456789abcdef0', trigger: 'sweep' }),
            Resources: ['arn:aws:ec2:us-east-1:000000000000:vpc-endpoint-service/vpce-svc-0123456789abcdef0'],
            Time: new Date('2026-03-01T12:00:00.000Z'),
          },
          {
            EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/gate-bus',
            Source: 'privatelink-gate',
            DetailType: 'Connection Decision',
            Detail: '{}',
          },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries?.map((entry) => entry.EventId)).toHaveLength(2);
    await cloud.idle();
    expect(other).toBe(0);
    expect(received).toEqual([
      {
        version: '0',
        id: result.Entries?.[0]?.EventId,
        'detail-type': 'Connection Event',
        source: 'privatelink-gate',
        account: PROVIDER_ACCOUNT,
        time: '2026-03-01T12:00:00Z',
        region: 'us-east-1',
        resources: ['arn:aws:ec2:us-east-1:000000000000:vpc-endpoint-service/vpce-svc-0123456789abcdef0'],
        detail: { serviceId: 'vpce-svc-0123456789abcdef0', trigger: 'sweep' },
      },
    ]);
    expect(cloud.events.events('gate-bus').map((event) => event['detail-type'])).toEqual([
      'Connection Event',
      'Connection Decision',
    ]);
  });

  it('reports bad entries per entry and bad requests as ValidationException', async () => {
    const client = eventsFor(cloud, CONSUMER_A);
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'app', DetailType: 'x', Detail: 'not json' },
          { DetailType: 'x', Detail: '{}' },
          { Source: 'aws.ec2', DetailType: 'x', Detail: '{}' },
          { Source: 'app', DetailType: 'fine', Detail: '{"a":1}' },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(3);
    expect(result.Entries?.map((entry) => entry.ErrorCode)).toEqual([
      'MalformedDetail',
      'InvalidArgument',
      'NotAuthorizedForSourceException',
      undefined,
    ]);
    const accepted = cloud.events.events('default').at(-1);
    expect(accepted).toMatchObject({ 'detail-type': 'fine', account: CONSUMER_A });
    const tooMany = await awsError(
      client.send(
        new PutEventsCommand({
          Entries: Array.from({ length: 11 }, () => ({ Source: 'app', DetailType: 'x', Detail: '{}' })),
        }),
      ),
    );
    expect(tooMany.name).toBe('ValidationException');
  });
});
