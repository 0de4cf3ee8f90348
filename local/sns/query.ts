/**
 * The SNS Query API (version 2010-03-31) of the local cloud: CreateTopic,
 * DeleteTopic, ListTopics and Publish, answered in SNS's XML.
 */
import type { Caller } from '../identity.ts';
import { InvalidQueryParameterError, MissingQueryParameterError, type QueryParams } from '../query-params.ts';
import { members, type XmlObject, xmlDocument } from '../xml.ts';
import { parseTopicArn, type SnsMessageAttribute, type SnsTopics } from './topics.ts';

export const SNS_API_VERSION = '2010-03-31';
export const SNS_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_ATTRIBUTES = 10;

export class SnsError extends Error {
  override name = 'SnsError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const invalidParameter = (message: string) =>
  new SnsError('InvalidParameter', `Invalid parameter: ${message}`);

export interface SnsResponse {
  status: number;
  body: string;
}

function response(action: string, requestId: string, result: XmlObject | undefined): string {
  return xmlDocument(`${action}Response`, SNS_NAMESPACE, {
    ...(result === undefined ? {} : { [`${action}Result`]: result }),
    ResponseMetadata: { RequestId: requestId },
  });
}

export function snsErrorDocument(error: SnsError, requestId: string): string {
  return xmlDocument('ErrorResponse', SNS_NAMESPACE, {
    Error: { Type: error.status >= 500 ? 'Receiver' : 'Sender', Code: error.code, Message: error.message },
    RequestId: requestId,
  });
}

function topicArnParameter(params: QueryParams, name: string): string {
  const arn = params.string(name);
  if (arn === undefined || arn === '')
    throw invalidParameter(`${name} Reason: no value for required parameter`);
  if (parseTopicArn(arn) === undefined)
    throw invalidParameter(`${name} Reason: An ARN must have 6 parts: '${arn}'`);
  return arn;
}

function messageAttributes(params: QueryParams): Record<string, SnsMessageAttribute> {
  const entries = params.structures('MessageAttributes.entry');
  if (entries.length > MAX_ATTRIBUTES) {
    throw invalidParameter(
      `MessageAttributes Reason: at most ${MAX_ATTRIBUTES} message attributes are allowed`,
    );
  }
  const attributes: Record<string, SnsMessageAttribute> = {};
  for (const entry of entries) {
    const name = entry.string('Name') ?? '';
    if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name) || /^(aws|amazon)\./i.test(name)) {
      throw new SnsError('ParameterValueInvalid', `The message attribute name '${name}' is invalid.`);
    }
    const dataType = entry.string('Value.DataType') ?? '';
    const base = dataType.split('.')[0];
    if (base !== 'String' && base !== 'Number' && base !== 'Binary') {
      throw new SnsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' has an invalid message attribute type '${dataType}', the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const stringValue = entry.string('Value.StringValue');
    const binaryValue = entry.string('Value.BinaryValue');
    const value = base === 'Binary' ? binaryValue : stringValue;
    if (value === undefined || value === '') {
      throw new SnsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${base}'.`,
      );
    }
    if (base === 'Number' && !Number.isFinite(Number(value))) {
      throw new SnsError(
        'ParameterValueInvalid',
        `Could not cast message attribute '${name}' value to number.`,
      );
    }
    attributes[name] =
      base === 'Binary'
        ? { DataType: dataType, BinaryValue: value }
        : { DataType: dataType, StringValue: value };
  }
  return attributes;
}

function publish(topics: SnsTopics, caller: Caller, params: QueryParams): XmlObject {
  if (params.has('PhoneNumber'))
    throw invalidParameter('PhoneNumber Reason: SMS is not supported by the local cloud');
  const topicArn = params.has('TargetArn')
    ? topicArnParameter(params, 'TargetArn')
    : topicArnParameter(params, 'TopicArn');
  const message = params.string('Message');
  if (message === undefined) {
    throw new SnsError(
      'ValidationError',
      "1 validation error detected: Value null at 'message' failed to satisfy constraint: Member must not be null",
    );
  }
  if (message === '') throw invalidParameter('Empty message');
  if (Buffer.byteLength(message, 'utf8') > MAX_MESSAGE_BYTES) throw invalidParameter('Message too long');
  const subject = params.string('Subject');
  if (subject !== undefined && (subject === '' || subject.length > 100 || !/^[\x20-\x7E]+$/.test(subject))) {
    throw invalidParameter('Subject');
  }
  const structure = params.string('MessageStructure');
  if (structure !== undefined && structure !== 'json') throw invalidParameter('MessageStructure');
  if (structure === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch (error) {
      throw new SnsError(
        'InvalidParameter',
        'Invalid parameter: Message Structure - JSON message body failed to parse',
        400,
        { cause: error },
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('default' in parsed)) {
      throw invalidParameter('Message Structure - No default entry in JSON message body');
    }
  }
  const attributes = messageAttributes(params);
  if (!topics.exists(topicArn)) throw new SnsError('NotFound', 'Topic does not exist', 404);
  const published = topics.publish({
    topicArn,
    message,
    messageAttributes: attributes,
    publisher: caller.account,
    ...(subject === undefined ? {} : { subject }),
    ...(structure === 'json' ? { messageStructure: 'json' as const } : {}),
  });
  return { MessageId: published.messageId };
}

const actions: Record<
  string,
  (topics: SnsTopics, caller: Caller, params: QueryParams) => XmlObject | undefined
> = {
  Publish: publish,
  CreateTopic: (topics, caller, params) => {
    const name = params.string('Name') ?? '';
    if (!/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(name)) {
      throw invalidParameter(
        `Topic Name: '${name}' (1 to 256 letters, digits, hyphens and underscores, optionally ending in .fifo)`,
      );
    }
    return { TopicArn: topics.createTopic(caller.account, caller.region, name) };
  },
  DeleteTopic: (topics, _caller, params) => {
    topics.deleteTopic(topicArnParameter(params, 'TopicArn'));
    return undefined;
  },
  ListTopics: (topics, caller) => ({
    Topics: members(topics.listTopics(caller.account, caller.region).map((arn) => ({ TopicArn: arn }))),
  }),
};

export const SNS_ACTIONS: readonly string[] = Object.keys(actions);

export function handleSnsQuery(
  topics: SnsTopics,
  caller: Caller,
  params: QueryParams,
  requestId: string,
): SnsResponse {
  const action = params.string('Action') ?? '';
  try {
    const handler = Object.hasOwn(actions, action) ? actions[action] : undefined;
    if (handler === undefined) {
      throw new SnsError(
        'InvalidAction',
        `Could not find operation ${action} for version ${SNS_API_VERSION}`,
      );
    }
    return { status: 200, body: response(action, requestId, handler(topics, caller, params)) };
  } catch (error) {
    if (error instanceof SnsError) return { status: error.status, body: snsErrorDocument(error, requestId) };
    if (error instanceof MissingQueryParameterError || error instanceof InvalidQueryParameterError) {
      const snsError = new SnsError('InvalidParameter', `Invalid parameter: ${error.message}`, 400, {
        cause: error,
      });
      return { status: 400, body: snsErrorDocument(snsError, requestId) };
    }
    throw error;
  }
}
