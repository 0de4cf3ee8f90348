/**
 * The SNS Query API (version 2010-03-31) of the local cloud: CreateTopic, DeleteTopic,
 * ListTopics, Get/SetTopicAttributes, Subscribe, ListSubscriptions(ByTopic) and Publish,
 * answered in SNS's XML.
 */
import type { Caller } from '../identity.ts';
import { InvalidQueryParameterError, MissingQueryParameterError, type QueryParams } from '../query-params.ts';
import { members, XmlList, type XmlObject, xmlDocument } from '../xml.ts';
import {
  parseTopicArn,
  type SnsMessageAttribute,
  type SnsTopics,
  type TopicPolicy,
  type TopicSubscription,
} from './topics.ts';

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

/** The attributes SetTopicAttributes takes for a standard topic, each with its check. */
const SETTABLE_ATTRIBUTES: Record<string, (value: string) => string | undefined> = {
  Policy: () => undefined,
  KmsMasterKeyId: () => undefined,
  DisplayName: (value) => (value.length <= 100 ? undefined : 'at most 100 characters'),
  DeliveryPolicy: (value) => (isJsonObject(value) ? undefined : 'not a JSON object'),
  SignatureVersion: (value) => (value === '1' || value === '2' ? undefined : 'must be 1 or 2'),
  TracingConfig: (value) =>
    value === 'PassThrough' || value === 'Active' ? undefined : 'must be PassThrough or Active',
};

function isJsonObject(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

/** A topic policy as SNS accepts it: a JSON document with statements that each allow or deny. */
function topicPolicyOf(text: string): TopicPolicy {
  const policyError = (why: string) => invalidParameter(`Policy Error: ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw policyError('the policy is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw policyError('the policy is not a JSON object');
  }
  const document = new Map(Object.entries(parsed));
  const version = document.get('Version') ?? '2008-10-17';
  if (version !== '2012-10-17' && version !== '2008-10-17') {
    throw policyError(`Version '${String(version)}' is neither 2012-10-17 nor 2008-10-17`);
  }
  const raw = document.get('Statement');
  const statements: unknown[] = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (statements.length === 0) throw policyError('the policy has no Statement');
  for (const [index, statement] of statements.entries()) {
    if (typeof statement !== 'object' || statement === null || Array.isArray(statement)) {
      throw policyError(`Statement ${index + 1} is not an object`);
    }
    const effect = new Map(Object.entries(statement)).get('Effect');
    if (effect !== 'Allow' && effect !== 'Deny') {
      throw policyError(`Statement ${index + 1}: Effect '${String(effect)}' is neither Allow nor Deny`);
    }
  }
  const id = document.get('Id');
  return {
    Version: version,
    ...(typeof id === 'string' ? { Id: id } : {}),
    Statement: statements as Record<string, unknown>[],
  };
}

/** SNS's default topic policy: every principal of the owner account, no one else. */
function defaultTopicPolicy(arn: string, owner: string): TopicPolicy {
  return {
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: arn,
        Condition: { StringEquals: { 'AWS:SourceOwner': owner } },
      },
    ],
  };
}

function existingTopic(topics: SnsTopics, params: QueryParams): string {
  const arn = topicArnParameter(params, 'TopicArn');
  if (!topics.exists(arn)) throw new SnsError('NotFound', 'Topic does not exist', 404);
  return arn;
}

function setTopicAttributes(topics: SnsTopics, _caller: Caller, params: QueryParams): undefined {
  const name = params.string('AttributeName') ?? '';
  const check = Object.hasOwn(SETTABLE_ATTRIBUTES, name) ? SETTABLE_ATTRIBUTES[name] : undefined;
  if (check === undefined) throw invalidParameter('AttributeName');
  const value = params.string('AttributeValue') ?? '';
  const arn = existingTopic(topics, params);
  if (name === 'Policy') {
    topics.updateSettings(arn, { policy: topicPolicyOf(value) });
    return undefined;
  }
  if (name === 'KmsMasterKeyId') {
    // An empty key id turns encryption off.
    topics.updateSettings(arn, { kmsMasterKeyId: value === '' ? undefined : value });
    return undefined;
  }
  const problem = check(value);
  if (problem !== undefined) throw invalidParameter(`${name}: ${problem}`);
  const attributes = { ...(topics.settingsOf(arn).attributes ?? {}), [name]: value };
  topics.updateSettings(arn, { attributes });
  return undefined;
}

function getTopicAttributes(topics: SnsTopics, _caller: Caller, params: QueryParams): XmlObject {
  const arn = existingTopic(topics, params);
  const owner = parseTopicArn(arn)?.account ?? '';
  const settings = topics.settingsOf(arn);
  const subscriptions = topics.subscriptionsOf(arn);
  const attributes: Record<string, string> = {
    TopicArn: arn,
    Owner: owner,
    Policy: JSON.stringify(settings.policy ?? defaultTopicPolicy(arn, owner)),
    DisplayName: '',
    // E-mail subscriptions stay pending: the local cloud sends no confirmation.
    SubscriptionsConfirmed: '0',
    SubscriptionsPending: String(subscriptions.length),
    SubscriptionsDeleted: '0',
    ...(settings.kmsMasterKeyId === undefined ? {} : { KmsMasterKeyId: settings.kmsMasterKeyId }),
    ...settings.attributes,
  };
  return {
    Attributes: new XmlList(
      Object.entries(attributes).map(([key, value]) => ({ key, value })),
      'entry',
    ),
  };
}

/** The protocols the local cloud records: e-mail, which waits for a confirmation it never gets. */
const EMAIL_PROTOCOLS = ['email', 'email-json'];
const EMAIL_ADDRESS = /^[^\s@]+@[^\s@]+$/;

function subscribe(topics: SnsTopics, caller: Caller, params: QueryParams): XmlObject {
  const protocol = params.string('Protocol') ?? '';
  if (protocol === '') throw invalidParameter('Protocol Reason: no value for required parameter');
  const arn = existingTopic(topics, params);
  if (!EMAIL_PROTOCOLS.includes(protocol)) {
    throw invalidParameter(
      `Protocol Reason: the local cloud takes ${EMAIL_PROTOCOLS.join(' and ')} subscriptions only (the gate's own subscribers are in-process), got '${protocol}'`,
    );
  }
  const endpoint = params.string('Endpoint') ?? '';
  if (!EMAIL_ADDRESS.test(endpoint)) throw invalidParameter('Invalid SMTP email address');
  topics.addSubscription({ topicArn: arn, protocol, endpoint, owner: caller.account });
  return { SubscriptionArn: 'pending confirmation' };
}

const subscriptionMembers = (subscriptions: TopicSubscription[]): XmlObject => ({
  Subscriptions: members(
    subscriptions.map((subscription) => ({
      TopicArn: subscription.topicArn,
      Protocol: subscription.protocol,
      SubscriptionArn: 'PendingConfirmation',
      Owner: subscription.owner,
      Endpoint: subscription.endpoint,
    })),
  ),
});

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
  SetTopicAttributes: setTopicAttributes,
  GetTopicAttributes: getTopicAttributes,
  Subscribe: subscribe,
  ListSubscriptionsByTopic: (topics, _caller, params) =>
    subscriptionMembers(topics.subscriptionsOf(existingTopic(topics, params))),
  ListSubscriptions: (topics, caller) =>
    subscriptionMembers(
      topics
        .subscriptionsOf()
        .filter((s) => parseTopicArn(s.topicArn)?.region === caller.region && s.owner === caller.account),
    ),
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
