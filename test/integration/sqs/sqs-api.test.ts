/**
 * The SQS service alone behind a bare edge port, driven by @aws-sdk/client-sqs and the
 * AWS CLI: the JSON protocol, SQS's error codes, long polling, redrive, and IAM.
 */
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MovableClock } from '../../../local/clock.ts';
import { Deliveries, Timers } from '../../../local/deliveries.ts';
import { TableStreams } from '../../../local/dynamodb/streams.ts';
import { EventSourceMappings } from '../../../local/event-sources/mappings.ts';
import { Authorizer } from '../../../local/iam/authorizer.ts';
import { LocalRoles } from '../../../local/identity.ts';
import { SqsService } from '../../../local/sqs/service.ts';
import { AwsCliError, awsCliVersion, runAws } from '../../support/aws-cli.ts';
import { type ServiceEdge, serveLocalService } from '../../support/service-edge.ts';

const ACCOUNT = '000000000000';
const OTHER = '111122223333';
const REGION = 'us-east-1';

let edge: ServiceEdge;
let sqs: SqsService;
const clock = new MovableClock();
const logs: string[] = [];
const timers = new Timers((line) => logs.push(line), clock);
const roles = new LocalRoles();

const client = (accessKeyId = 'admin') =>
  new SQSClient({
    endpoint: edge.endpoint,
    region: REGION,
    credentials: { accessKeyId, secretAccessKey: 'secret' },
    maxAttempts: 1,
  });

async function errorOf(promise: Promise<unknown>): Promise<SQSServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SQSServiceException) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  let endpoint = '';
  sqs = new SqsService({
    endpoint: () => endpoint,
    authorizer: new Authorizer((line) => logs.push(line)),
    timers,
    clock,
    log: (line) => logs.push(line),
  });
  edge = await serveLocalService(sqs, { account: ACCOUNT, roles });
  endpoint = edge.endpoint;
});

afterAll(async () => {
  await sqs.stop();
  timers.close();
  await edge?.close();
});

describe('SQS JSON API with @aws-sdk/client-sqs', () => {
  it('sends, receives, hides, redrives and deletes as SQS does', async () => {
    const sdk = client();
    const { QueueUrl: dlqUrl } = await sdk.send(new CreateQueueCommand({ QueueName: 'sdk-dlq' }));
    const { QueueUrl: url } = await sdk.send(
      new CreateQueueCommand({
        QueueName: 'sdk-main',
        Attributes: {
          VisibilityTimeout: '60',
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:sdk-dlq`,
            maxReceiveCount: 2,
          }),
        },
      }),
    );
    expect(url).toBe(`${edge.endpoint}/${ACCOUNT}/sdk-main`);
    expect((await sdk.send(new GetQueueUrlCommand({ QueueName: 'sdk-main' }))).QueueUrl).toBe(url);

    const sent = await sdk.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'hello',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'greeting' } },
      }),
    );
    expect(sent.MD5OfMessageBody).toBe('5d41402abc4b2a76b9719d911017c592');

    const first = await sdk.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const message = first.Messages?.[0];
    expect(message?.Body).toBe('hello');
    expect(message?.MessageId).toBe(sent.MessageId);
    expect(message?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(message?.MessageAttributes?.kind?.StringValue).toBe('greeting');
    expect(message?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);

    // Hidden for the visibility timeout; back when the clock passes it.
    expect((await sdk.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    const counts = await sdk.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    expect(counts.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
      VisibilityTimeout: '60',
      QueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:sdk-main`,
    });
    clock.advance(60_000);
    timers.fireDue();
    const second = await sdk.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    expect(second.Messages?.[0]?.Attributes).toEqual({ ApproximateReceiveCount: '2' });
    await sdk.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: second.Messages?.[0]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    // Received twice (maxReceiveCount): the next receive moves it to the dead-letter queue.
    expect((await sdk.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    const dead = await sdk.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MessageSystemAttributeNames: ['All'] }),
    );
    expect(dead.Messages?.[0]?.Body).toBe('hello');
    expect(dead.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn).toBe(
      `arn:aws:sqs:${REGION}:${ACCOUNT}:sdk-main`,
    );
    await sdk.send(
      new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: dead.Messages?.[0]?.ReceiptHandle }),
    );
    const after = await sdk.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['All'] }),
    );
    expect(after.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('0');
  });

  it('sends and deletes in batches, purges and deletes queues', async () => {
    const sdk = client();
    const { QueueUrl: url } = await sdk.send(new CreateQueueCommand({ QueueName: 'sdk-batch' }));
    const sent = await sdk.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', MessageBody: 'one' },
          { Id: 'b', MessageBody: 'two' },
          { Id: 'c', MessageBody: 'x'.repeat(1_048_577) },
        ],
      }),
    );
    expect(sent.Successful?.map((entry) => entry.Id)).toEqual(['a', 'b']);
    expect(sent.Failed).toEqual([
      expect.objectContaining({ Id: 'c', Code: 'InvalidParameterValue', SenderFault: true }),
    ]);
    const received = await sdk.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(received.Messages?.map((m) => m.Body)).toEqual(['one', 'two']);
    const deleted = await sdk.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: (received.Messages ?? []).map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    expect(deleted.Successful).toHaveLength(2);
    await sdk.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'left' }));
    await sdk.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect((await sdk.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    await sdk.send(new DeleteQueueCommand({ QueueUrl: url }));
    const missing = await errorOf(sdk.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })));
    expect(missing).toBeInstanceOf(QueueDoesNotExist);
    expect(missing.$response?.statusCode ?? missing.$metadata.httpStatusCode).toBe(400);
  });

  it('answers a long poll as soon as a message arrives', { timeout: 10_000 }, async () => {
    const sdk = client();
    const { QueueUrl: url } = await sdk.send(new CreateQueueCommand({ QueueName: 'sdk-long-poll' }));
    const polling = sdk.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await sdk.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'arrived' }));
    expect((await polling).Messages?.[0]?.Body).toBe('arrived');
  });

  it('refuses bad input with SQS error codes', async () => {
    const sdk = client();
    const { QueueUrl: url } = await sdk.send(new CreateQueueCommand({ QueueName: 'sdk-errors' }));
    const invalid = await errorOf(
      sdk.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '99999' } })),
    );
    expect(invalid.name).toBe('InvalidAttributeValue');
    const fifo = await errorOf(sdk.send(new CreateQueueCommand({ QueueName: 'orders.fifo' })));
    expect(fifo.message).toMatch(/no FIFO queues/);
    const exists = await errorOf(
      sdk.send(new CreateQueueCommand({ QueueName: 'sdk-errors', Attributes: { DelaySeconds: '5' } })),
    );
    expect(exists.name).toBe('QueueNameExists');
    const handle = await errorOf(
      sdk.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' })),
    );
    expect(handle.name).toBe('ReceiptHandleIsInvalid');
  });

  it('lets a role do what its policy allows, and another account only what the queue policy allows', async () => {
    const admin = client();
    const { QueueUrl: url } = await admin.send(new CreateQueueCommand({ QueueName: 'sdk-iam' }));
    const arn = `arn:aws:sqs:${REGION}:${ACCOUNT}:sdk-iam`;
    roles.define({
      name: 'sender',
      account: ACCOUNT,
      accessKeyId: 'SENDERKEY',
      statements: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arn }],
    });
    const sender = client('SENDERKEY');
    await sender.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'from the role' }));
    const denied = await errorOf(sender.send(new ReceiveMessageCommand({ QueueUrl: url })));
    expect(denied.name).toBe('AccessDenied');
    expect(denied.message).toContain('sqs:ReceiveMessage');

    const stranger = client(OTHER);
    expect(
      (await errorOf(stranger.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })))).name,
    ).toBe('AccessDenied');
    await admin.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: {
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${OTHER}:root` },
                Action: 'sqs:SendMessage',
                Resource: arn,
              },
            ],
          }),
        },
      }),
    );
    await stranger.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'from the stranger' }));
    expect((await stranger.send(new ListQueuesCommand({}))).QueueUrls).toBeUndefined();
  });
});

describe('a queue with an event source mapping, fed over the API', () => {
  it('hands what the SDK sent to the function and dead-letters what it keeps failing', async () => {
    const deliveries = new Deliveries({ retries: 0, retryDelayMs: 0, log: (line) => logs.push(line) });
    const bodies: string[] = [];
    const mappings = new EventSourceMappings({
      invoker: {
        invoke: async (_arn, event) => {
          const records = (event as { Records: Array<{ body: string }> }).Records;
          bodies.push(...records.map((record) => record.body));
          return records.some((record) => record.body === 'poison')
            ? { ok: false, errorType: 'Error', errorMessage: 'poison' }
            : { ok: true, payload: null };
        },
        invokeAsync: async () => {
          throw new Error('an SQS mapping invokes synchronously');
        },
      },
      queues: sqs.consumer,
      streams: new TableStreams(deliveries, ACCOUNT, REGION),
      writer: sqs,
      executionRole: () => ({
        name: 'worker',
        account: ACCOUNT,
        statements: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }],
      }),
      authorizer: new Authorizer((line) => logs.push(line)),
      deliveries,
      timers,
      clock,
      log: (line) => logs.push(line),
    });
    const sdk = client();
    await sdk.send(new CreateQueueCommand({ QueueName: 'mapped-dlq' }));
    const { QueueUrl: url } = await sdk.send(
      new CreateQueueCommand({
        QueueName: 'mapped',
        Attributes: {
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:mapped-dlq`,
            maxReceiveCount: 1,
          }),
        },
      }),
    );
    const provider = mappings.resources[0];
    await provider?.create({
      logicalId: 'Mapping',
      properties: { FunctionName: 'worker', EventSourceArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:mapped` },
      stack: { name: 'Test', id: 'stack', account: ACCOUNT, region: REGION },
      generatedName: () => 'Test-Mapping',
    });
    await sdk.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'fine' }));
    await sdk.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    while (deliveries.busy || timers.busy) {
      timers.flush();
      await deliveries.idle();
    }
    expect(bodies).toEqual(['fine', 'poison']);
    const dead = await sdk.send(
      new ReceiveMessageCommand({ QueueUrl: `${edge.endpoint}/${ACCOUNT}/mapped-dlq` }),
    );
    expect(dead.Messages?.map((message) => message.Body)).toEqual(['poison']);
    const left = await sdk.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    expect(left.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
    await mappings.stop();
  });
});

const cli = awsCliVersion();

describe(`SQS with the AWS CLI (${cli ?? 'not installed'})`, () => {
  it('lists queues, reads attributes and receives messages', async () => {
    if (cli === undefined) throw new Error('the aws CLI is not installed: pip install awscli');
    const target = { endpoint: edge.endpoint, accessKeyId: 'admin', region: REGION };
    // Each CLI call takes seconds to start: the SDK sets up, the CLI looks.
    const sdk = client();
    const created = await sdk.send(new CreateQueueCommand({ QueueName: 'cli-queue' }));
    await sdk.send(new SendMessageCommand({ QueueUrl: String(created.QueueUrl), MessageBody: 'via cli' }));
    const listed = (await runAws(target, ['sqs', 'list-queues', '--queue-name-prefix', 'cli-'])) as {
      QueueUrls: string[];
    };
    expect(listed.QueueUrls).toEqual([created.QueueUrl]);
    const attributes = (await runAws(target, [
      'sqs',
      'get-queue-attributes',
      '--queue-url',
      String(created.QueueUrl),
      '--attribute-names',
      'All',
    ])) as { Attributes: Record<string, string> };
    expect(attributes.Attributes.ApproximateNumberOfMessages).toBe('1');
    const received = (await runAws(target, [
      'sqs',
      'receive-message',
      '--queue-url',
      String(created.QueueUrl),
      '--attribute-names',
      'All',
    ])) as { Messages: Array<{ Body: string; Attributes: Record<string, string> }> };
    expect(received.Messages[0]?.Body).toBe('via cli');
    expect(received.Messages[0]?.Attributes.ApproximateReceiveCount).toBe('1');

    const missing = runAws(target, [
      'sqs',
      'get-queue-attributes',
      '--queue-url',
      `${edge.endpoint}/${ACCOUNT}/no-such-queue`,
    ]);
    await expect(missing).rejects.toBeInstanceOf(AwsCliError);
    await expect(missing).rejects.toThrow(/AWS\.SimpleQueueService\.NonExistentQueue/);
  });
});
