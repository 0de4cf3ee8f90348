/**
 * The SQS JSON API (`AmazonSQS.*`, awsJson1_0) of the local cloud, as the AWS CLI and
 * @aws-sdk/client-sqs speak it: each operation reads its input, asks the queues, and
 * answers SQS's output shape or throws an `SqsError`. IAM is asked before (access.ts).
 */
import type { Caller } from '../identity.ts';
import { type COMPUTED_ATTRIBUTES, isKnownAttribute, validatedAttributes } from './attributes.ts';
import { SqsError } from './errors.ts';
import { validatedMessageAttributes } from './message-attributes.ts';
import { type Queue, queueArnOf, type ReceivedMessage } from './queue.ts';
import { SqsQueues } from './queues.ts';

export type SqsInput = Record<string, unknown>;

export interface SqsCall {
  caller: Caller;
  /** The SenderId messages sent by this caller carry. */
  senderId: string;
  /** The queue URL of a queue (`${endpoint}/${account}/${name}`). */
  urlOf(queue: Queue): string;
}

const MAX_BATCH = 10;
const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;

function integer(input: SqsInput, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SqsError(
      'InvalidParameterValue',
      `Value ${JSON.stringify(value)} for parameter ${name} is invalid. Reason: it must be an integer from ${min} to ${max}.`,
    );
  }
  return value;
}

function stringMap(input: SqsInput, name: string): Record<string, unknown> {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new SqsError('InvalidParameterValue', `${name} must be a map, got ${JSON.stringify(value)}.`);
  }
  return value as Record<string, unknown>;
}

function stringList(input: SqsInput, name: string): string[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new SqsError(
      'InvalidParameterValue',
      `${name} must be a list of strings, got ${JSON.stringify(value)}.`,
    );
  }
  return value as string[];
}

function sameAttributes(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}

export function createQueue(queues: SqsQueues, call: SqsCall, input: SqsInput): unknown {
  const name = SqsQueues.checkName(input.QueueName);
  const attributes = validatedAttributes(stringMap(input, 'Attributes'));
  const address = { account: call.caller.account, region: call.caller.region, name };
  const existing = queues.find(address);
  if (existing !== undefined) {
    if (!sameAttributes(existing.setAttributes, attributes)) {
      throw new SqsError(
        'QueueNameExists',
        `A queue already exists with the same name and a different value for attribute(s) ${Object.keys(attributes).join(', ')}`,
      );
    }
    return { QueueUrl: call.urlOf(existing) };
  }
  const queue = queues.create(address, attributes);
  const tags = stringMap(input, 'tags');
  queue.tags = Object.fromEntries(Object.entries(tags).map(([key, value]) => [key, String(value)]));
  return { QueueUrl: call.urlOf(queue) };
}

export function getQueueUrl(queues: SqsQueues, call: SqsCall, input: SqsInput): unknown {
  const name = input.QueueName;
  if (typeof name !== 'string' || name === '') {
    throw new SqsError('MissingParameter', 'The request must contain the parameter QueueName.');
  }
  const owner =
    typeof input.QueueOwnerAWSAccountId === 'string' ? input.QueueOwnerAWSAccountId : call.caller.account;
  const queue = queues.find({ account: owner, region: call.caller.region, name });
  if (queue === undefined) throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
  return { QueueUrl: call.urlOf(queue) };
}

export function listQueues(queues: SqsQueues, call: SqsCall, input: SqsInput): unknown {
  const prefix = typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '';
  const maxResults = integer(input, 'MaxResults', 1, 1000);
  const start =
    typeof input.NextToken === 'string' ? Number(Buffer.from(input.NextToken, 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) {
    throw new SqsError('InvalidParameterValue', `Invalid NextToken ${JSON.stringify(input.NextToken)}.`);
  }
  const all = queues
    .list(call.caller.account, call.caller.region)
    .filter((queue) => queue.name.startsWith(prefix));
  const end = maxResults === undefined ? Math.min(all.length, start + 1000) : start + maxResults;
  const page = all.slice(start, end);
  return {
    ...(page.length === 0 ? {} : { QueueUrls: page.map((queue) => call.urlOf(queue)) }),
    ...(maxResults !== undefined && end < all.length
      ? { NextToken: Buffer.from(String(end)).toString('base64url') }
      : {}),
  };
}

export function getQueueAttributes(queues: SqsQueues, call: SqsCall, input: SqsInput): unknown {
  const queue = queues.byUrl(input.QueueUrl, call.caller.region);
  const names = stringList(input, 'AttributeNames');
  for (const name of names) {
    if (name !== 'All' && !isKnownAttribute(name)) {
      throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
  }
  const all = allAttributes(queue);
  const wanted = names.includes('All') ? Object.keys(all) : names;
  const attributes = Object.fromEntries(
    wanted.flatMap((name) => (all[name] === undefined ? [] : [[name, all[name]]])),
  );
  return Object.keys(attributes).length === 0 ? {} : { Attributes: attributes };
}

function allAttributes(queue: Queue): Record<string, string> {
  const counts = queue.counts();
  const computed: Record<(typeof COMPUTED_ATTRIBUTES)[number], string> = {
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(counts.visible),
    ApproximateNumberOfMessagesNotVisible: String(counts.notVisible),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
    CreatedTimestamp: String(queue.createdAt),
    LastModifiedTimestamp: String(queue.lastModified),
  };
  return { ...queue.attributes, ...computed };
}

export function setQueueAttributes(queues: SqsQueues, call: SqsCall, input: SqsInput): unknown {
  const queue = queues.byUrl(input.QueueUrl, call.caller.region);
  queues.setAttributes(queue, validatedAttributes(stringMap(input, 'Attributes')));
  return {};
}

function sendOne(queues: SqsQueues, queue: Queue, call: SqsCall, input: SqsInput) {
  const body = input.MessageBody;
  if (typeof body !== 'string') {
    throw new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
  }
  const delaySeconds = integer(input, 'DelaySeconds', 0, 900);
  const message = queues.send(queue, {
    body,
    messageAttributes: validatedMessageAttributes(input.MessageAttributes),
    senderId: call.senderId,
    ...(delaySeconds === undefined ? {} : { delaySeconds }),
  });
  return {
    MessageId: message.messageId,
    MD5OfMessageBody: message.md5OfBody,
    ...(message.md5OfMessageAttributes === undefined
      ? {}
      : { MD5OfMessageAttributes: message.md5OfMessageAttributes }),
  };
}

export function sendMessage(queues: SqsQueues, call: SqsCall, input: SqsInput): unknown {
  const queue = queues.byUrl(input.QueueUrl, call.caller.region);
  return sendOne(queues, queue, call, input);
}

/** The entries of a batch call, checked as SQS checks them (count, ids, duplicates). */
function batchEntries(input: SqsInput): Array<Record<string, unknown> & { Id: string }> {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new SqsError('EmptyBatchRequest', 'There should be at least one entry in the request.');
  }
  if (entries.length > MAX_BATCH) {
    throw new SqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_BATCH}. You have sent ${entries.length}.`,
    );
  }
  const ids = new Set<string>();
  return entries.map((entry: unknown) => {
    const id =
      typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).Id : undefined;
    if (typeof id !== 'string' || !BATCH_ID.test(id)) {
      throw new SqsError(
        'InvalidBatchEntryId',
        `A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long: ${JSON.stringify(id)}.`,
      );
    }
    if (ids.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    ids.add(id);
    return entry as Record<string, unknown> & { Id: string };
  });
}

function batch<T>(
  entries: Array<Record<string, unknown> & { Id: string }>,
  each: (entry: Record<string, unknown>) => T,
): { Successful: Array<T & { Id: string }>; Failed: unknown[] } {
  const Successful: Array<T & { Id: string }> = [];
  const Failed: unknown[] = [];
  for (const entry of entries) {
    try {
      Successful.push({ Id: entry.Id, ...each(entry) });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      Failed.push({
        Id: entry.Id,
        SenderFault: true,
        Code: error.queryError.split(';')[0],
        Message: error.message,
      });
    }
  }
  return { Successful, Failed };
}

export function sendMessageBatch(queues: SqsQueues, call: SqsCall, input: SqsInput): unknown {
  const queue = queues.byUrl(input.QueueUrl, call.caller.region);
  return batch(batchEntries(input), (entry) => sendOne(queues, queue, call, entry));
}

/** Which system attributes and message attributes a receive asked for. */
export interface ReceiveRequest {
  queue: Queue;
  max: number;
  visibilityTimeout?: number;
  waitSeconds: number;
  systemAttributes: string[];
  messageAttributes: string[];
}

export function receiveRequest(queues: SqsQueues, call: SqsCall, input: SqsInput): ReceiveRequest {
  const queue = queues.byUrl(input.QueueUrl, call.caller.region);
  const max = integer(input, 'MaxNumberOfMessages', 1, 10) ?? 1;
  const visibilityTimeout = integer(input, 'VisibilityTimeout', 0, 43_200);
  const waitSeconds =
    integer(input, 'WaitTimeSeconds', 0, 20) ?? Number(queue.attributes.ReceiveMessageWaitTimeSeconds);
  return {
    queue,
    max,
    ...(visibilityTimeout === undefined ? {} : { visibilityTimeout }),
    waitSeconds,
    systemAttributes: [
      ...stringList(input, 'AttributeNames'),
      ...stringList(input, 'MessageSystemAttributeNames'),
    ],
    messageAttributes: stringList(input, 'MessageAttributeNames'),
  };
}

/** The system attributes of a message as SQS reports them. */
export function systemAttributesOf(message: ReceivedMessage['message']): Record<string, string> {
  return {
    SenderId: message.senderId,
    SentTimestamp: String(message.sentAt),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceiveAt ?? message.sentAt),
    ...(message.deadLetterQueueSourceArn === undefined
      ? {}
      : { DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn }),
  };
}

function wantedAttribute(names: readonly string[], name: string): boolean {
  return names.some(
    (wanted) =>
      wanted === 'All' ||
      wanted === '.*' ||
      wanted === name ||
      (wanted.endsWith('.*') && name.startsWith(wanted.slice(0, -1))),
  );
}

export function renderReceived(request: ReceiveRequest, received: readonly ReceivedMessage[]): unknown {
  if (received.length === 0) return {};
  return {
    Messages: received.map(({ message, receiptHandle }) => {
      const system = Object.entries(systemAttributesOf(message)).filter(([name]) =>
        request.systemAttributes.some((wanted) => wanted === 'All' || wanted === name),
      );
      const attributes = Object.entries(message.messageAttributes).filter(([name]) =>
        wantedAttribute(request.messageAttributes, name),
      );
      return {
        MessageId: message.messageId,
        ReceiptHandle: receiptHandle,
        MD5OfBody: message.md5OfBody,
        Body: message.body,
        ...(system.length === 0 ? {} : { Attributes: Object.fromEntries(system) }),
        ...(attributes.length === 0
          ? {}
          : {
              MessageAttributes: Object.fromEntries(attributes),
              ...(message.md5OfMessageAttributes === undefined
                ? {}
                : { MD5OfMessageAttributes: message.md5OfMessageAttributes }),
            }),
      };
    }),
  };
}

function receiptHandle(input: Record<string, unknown>): string {
  const handle = input.ReceiptHandle;
  if (typeof handle !== 'string' || handle === '') {
    throw new SqsError('MissingParameter', 'The request must contain the parameter ReceiptHandle.');
  }
  return handle;
}

export function deleteMessage(queues: SqsQueues, call: SqsCall, input: SqsInput): unknown {
  queues.byUrl(input.QueueUrl, call.caller.region).delete(receiptHandle(input));
  return {};
}

export function deleteMessageBatch(queues: SqsQueues, call: SqsCall, input: SqsInput): unknown {
  const queue = queues.byUrl(input.QueueUrl, call.caller.region);
  return batch(batchEntries(input), (entry) => {
    queue.delete(receiptHandle(entry));
    return {};
  });
}

export function changeMessageVisibility(queues: SqsQueues, call: SqsCall, input: SqsInput): unknown {
  const queue = queues.byUrl(input.QueueUrl, call.caller.region);
  const timeout = integer(input, 'VisibilityTimeout', 0, 43_200);
  if (timeout === undefined) {
    throw new SqsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
  }
  queue.changeVisibility(receiptHandle(input), timeout);
  return {};
}

export function changeMessageVisibilityBatch(queues: SqsQueues, call: SqsCall, input: SqsInput): unknown {
  const queue = queues.byUrl(input.QueueUrl, call.caller.region);
  return batch(batchEntries(input), (entry) => {
    const timeout = integer(entry, 'VisibilityTimeout', 0, 43_200) ?? 0;
    queue.changeVisibility(receiptHandle(entry), timeout);
    return {};
  });
}

export function purgeQueue(queues: SqsQueues, call: SqsCall, input: SqsInput): unknown {
  queues.byUrl(input.QueueUrl, call.caller.region).purge();
  return {};
}

export function deleteQueue(queues: SqsQueues, call: SqsCall, input: SqsInput): unknown {
  const queue = queues.byUrl(input.QueueUrl, call.caller.region);
  queues.remove(queueArnOf(queue.address));
  return {};
}

export function listQueueTags(queues: SqsQueues, call: SqsCall, input: SqsInput): unknown {
  const queue = queues.byUrl(input.QueueUrl, call.caller.region);
  return Object.keys(queue.tags).length === 0 ? {} : { Tags: { ...queue.tags } };
}

/** The operations answered at once; ReceiveMessage, which may wait, is the service's. */
export const OPERATIONS: Record<string, (queues: SqsQueues, call: SqsCall, input: SqsInput) => unknown> = {
  CreateQueue: createQueue,
  GetQueueUrl: getQueueUrl,
  ListQueues: listQueues,
  GetQueueAttributes: getQueueAttributes,
  SetQueueAttributes: setQueueAttributes,
  SendMessage: sendMessage,
  SendMessageBatch: sendMessageBatch,
  DeleteMessage: deleteMessage,
  DeleteMessageBatch: deleteMessageBatch,
  ChangeMessageVisibility: changeMessageVisibility,
  ChangeMessageVisibilityBatch: changeMessageVisibilityBatch,
  PurgeQueue: purgeQueue,
  DeleteQueue: deleteQueue,
  ListQueueTags: listQueueTags,
};
