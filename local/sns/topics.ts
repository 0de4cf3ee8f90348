/**
 * SNS topics of the local cloud: every message published (over the API or as a
 * connection notification) is captured for `plgate` to show, and delivered to
 * in-process subscribers as the `SNSEvent` a subscribed Lambda would get.
 */

import { randomUUID } from 'node:crypto';
import type { SNSEvent, SNSMessageAttributes } from 'aws-lambda';
import type { Deliveries } from '../deliveries.ts';
import { RingBuffer } from '../ring-buffer.ts';

export interface SnsMessageAttribute {
  DataType: string;
  StringValue?: string;
  /** Base64, as it travels in the Query API. */
  BinaryValue?: string;
}

export interface CapturedSnsMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  /** The message as published (for `MessageStructure: json`, the JSON of all protocols). */
  message: string;
  messageStructure?: 'json';
  messageAttributes: Record<string, SnsMessageAttribute>;
  /** ISO time the message was accepted. */
  timestamp: string;
  /** Who published it: an account id, or `vpce.amazonaws.com` for connection notifications. */
  publisher: string;
}

export interface PublishInput {
  topicArn: string;
  message: string;
  subject?: string;
  messageStructure?: 'json';
  messageAttributes?: Record<string, SnsMessageAttribute>;
  publisher: string;
}

export type SnsHandler = (event: SNSEvent) => Promise<unknown>;

/** A topic policy as IAM reads it. */
export interface TopicPolicy {
  Version: '2012-10-17' | '2008-10-17';
  Id?: string;
  Statement: Record<string, unknown>[];
}

/** What a topic carries besides its name. */
export interface TopicSettings {
  /** The topic policy (JSON); absent: SNS's default policy (the owner account's principals only). */
  policy?: TopicPolicy;
  /** The KMS key that encrypts the topic; publishers need a data key from it. */
  kmsMasterKeyId?: string;
  /** The other attributes set with SetTopicAttributes (DisplayName, DeliveryPolicy, …), as given. */
  attributes?: Record<string, string>;
}

/**
 * A subscription made with the Subscribe API. The local cloud sends no e-mail, so an e-mail
 * subscription stays pending confirmation, as an unconfirmed one does on AWS: it gets nothing.
 */
export interface TopicSubscription {
  topicArn: string;
  protocol: string;
  endpoint: string;
  /** The account that subscribed. */
  owner: string;
}

/** A topic as `--data` keeps it. */
export interface TopicSnapshot {
  arn: string;
  settings?: TopicSettings;
}

export interface SnsSnapshot {
  topics: TopicSnapshot[];
  subscriptions: TopicSubscription[];
}

const TOPIC_ARN = /^arn:(aws[a-z-]*):sns:([a-z0-9-]+):([0-9]{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$/;

export interface TopicAddress {
  partition: string;
  region: string;
  account: string;
  name: string;
}

export function parseTopicArn(arn: string): TopicAddress | undefined {
  const match = TOPIC_ARN.exec(arn);
  if (match === null) return undefined;
  const [, partition = 'aws', region = '', account = '', name = ''] = match;
  return { partition, region, account, name };
}

interface Subscription {
  arn: string;
  handler: SnsHandler;
}

/** The text a Lambda subscriber gets: for `MessageStructure: json`, the `lambda` entry, else `default`. */
function lambdaMessage(message: CapturedSnsMessage): string {
  if (message.messageStructure !== 'json') return message.message;
  const parsed: unknown = JSON.parse(message.message);
  if (typeof parsed === 'object' && parsed !== null) {
    const entries = new Map(Object.entries(parsed));
    const lambda = entries.get('lambda') ?? entries.get('default');
    if (typeof lambda === 'string') return lambda;
  }
  return message.message;
}

function lambdaAttributes(attributes: Record<string, SnsMessageAttribute>): SNSMessageAttributes {
  const result: SNSMessageAttributes = {};
  for (const [name, attribute] of Object.entries(attributes)) {
    result[name] = { Type: attribute.DataType, Value: attribute.StringValue ?? attribute.BinaryValue ?? '' };
  }
  return result;
}

/** How many published messages `/_plgate/sns-messages` keeps: the most recent ones. */
export const CAPTURED_MESSAGES = 1000;

export class SnsTopics {
  private readonly topics = new Set<string>();
  private readonly settings = new Map<string, TopicSettings>();
  private readonly subscriptions = new Map<string, Set<Subscription>>();
  private readonly apiSubscriptions: TopicSubscription[] = [];
  private readonly captured = new RingBuffer<CapturedSnsMessage>(CAPTURED_MESSAGES);
  private readonly listeners = new Set<(message: CapturedSnsMessage) => void>();

  constructor(
    private readonly deliveries: Deliveries,
    private readonly endpoint: () => string,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * The topics with their settings and the API's subscriptions, for `--data`. In-process
   * subscribers (the gate's functions) are not state: the gate subscribes them again.
   */
  snapshot(): SnsSnapshot {
    return {
      topics: [...this.topics].map((arn) => {
        const settings = this.settings.get(arn);
        return settings === undefined ? { arn } : { arn, settings: structuredClone(settings) };
      }),
      subscriptions: this.apiSubscriptions.map((subscription) => ({ ...subscription })),
    };
  }

  restore(snapshot: SnsSnapshot): void {
    this.topics.clear();
    this.settings.clear();
    for (const topic of snapshot.topics) {
      this.topics.add(topic.arn);
      if (topic.settings !== undefined) this.settings.set(topic.arn, structuredClone(topic.settings));
    }
    this.apiSubscriptions.splice(0, this.apiSubscriptions.length, ...snapshot.subscriptions);
  }

  /** Replaces some of a topic's settings (SetTopicAttributes); `undefined` removes one. */
  updateSettings(arn: string, change: TopicSettings): void {
    const next: TopicSettings = { ...this.settingsOf(arn), ...change };
    for (const key of ['policy', 'kmsMasterKeyId', 'attributes'] as const) {
      if (next[key] === undefined) delete next[key];
    }
    this.settings.set(arn, next);
  }

  /** Records a subscription made with the Subscribe API (once per topic, protocol and endpoint). */
  addSubscription(subscription: TopicSubscription): void {
    const same = this.apiSubscriptions.some(
      (existing) =>
        existing.topicArn === subscription.topicArn &&
        existing.protocol === subscription.protocol &&
        existing.endpoint === subscription.endpoint,
    );
    if (!same) this.apiSubscriptions.push({ ...subscription });
  }

  /** The Subscribe API's subscriptions, of one topic when given. */
  subscriptionsOf(topicArn?: string): TopicSubscription[] {
    return this.apiSubscriptions
      .filter((subscription) => topicArn === undefined || subscription.topicArn === topicArn)
      .map((subscription) => ({ ...subscription }));
  }

  createTopic(account: string, region: string, name: string, settings?: TopicSettings): string {
    const arn = `arn:aws:sns:${region}:${account}:${name}`;
    this.topics.add(arn);
    if (settings !== undefined) this.settings.set(arn, settings);
    return arn;
  }

  deleteTopic(arn: string): void {
    this.topics.delete(arn);
    this.settings.delete(arn);
    // Deleting a topic deletes its subscriptions.
    const kept = this.apiSubscriptions.filter((subscription) => subscription.topicArn !== arn);
    this.apiSubscriptions.splice(0, this.apiSubscriptions.length, ...kept);
  }

  settingsOf(arn: string): TopicSettings {
    return this.settings.get(arn) ?? {};
  }

  exists(arn: string): boolean {
    return this.topics.has(arn);
  }

  listTopics(account: string, region: string): string[] {
    return [...this.topics].filter((arn) => {
      const address = parseTopicArn(arn);
      return address?.account === account && address.region === region;
    });
  }

  /** Subscribes an in-process handler (a Lambda stand-in); creates the topic if needed. */
  subscribe(topicArn: string, handler: SnsHandler): () => void {
    if (parseTopicArn(topicArn) === undefined) throw new Error(`not an SNS topic ARN: '${topicArn}'`);
    this.topics.add(topicArn);
    const subscription: Subscription = { arn: `${topicArn}:${randomUUID()}`, handler };
    const set = this.subscriptions.get(topicArn) ?? new Set<Subscription>();
    set.add(subscription);
    this.subscriptions.set(topicArn, set);
    return () => {
      set.delete(subscription);
    };
  }

  onPublish(listener: (message: CapturedSnsMessage) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  messages(): CapturedSnsMessage[] {
    return this.captured.toArray();
  }

  /** Captures and fans out a message to an existing topic (the caller checks that it exists). */
  publish(input: PublishInput): CapturedSnsMessage {
    const message: CapturedSnsMessage = {
      messageId: randomUUID(),
      topicArn: input.topicArn,
      message: input.message,
      messageAttributes: input.messageAttributes ?? {},
      timestamp: new Date().toISOString(),
      publisher: input.publisher,
    };
    if (input.subject !== undefined) message.subject = input.subject;
    if (input.messageStructure !== undefined) message.messageStructure = input.messageStructure;
    this.captured.push(message);
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch (error) {
        this.log(`sns publish listener failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    for (const subscription of this.subscriptions.get(input.topicArn) ?? []) {
      this.deliveries.enqueue(subscription, `sns ${input.topicArn} message ${message.messageId}`, () =>
        subscription.handler(this.snsEvent(message, subscription.arn)),
      );
    }
    return message;
  }

  private snsEvent(message: CapturedSnsMessage, subscriptionArn: string): SNSEvent {
    const endpoint = this.endpoint();
    return {
      Records: [
        {
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          EventSubscriptionArn: subscriptionArn,
          Sns: {
            Type: 'Notification',
            MessageId: message.messageId,
            TopicArn: message.topicArn,
            ...(message.subject === undefined ? {} : { Subject: message.subject }),
            Message: lambdaMessage(message),
            Timestamp: message.timestamp,
            SignatureVersion: '1',
            Signature: Buffer.from(`plgate-local:${message.messageId}`).toString('base64'),
            SigningCertUrl: `${endpoint}/_plgate/sns-signing-cert.pem`,
            UnsubscribeUrl: `${endpoint}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscriptionArn)}`,
            MessageAttributes: lambdaAttributes(message.messageAttributes),
          },
        },
      ],
    };
  }
}
