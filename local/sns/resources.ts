/**
 * SNS as a template makes it: `AWS::SNS::Topic`, `AWS::SNS::TopicPolicy` and
 * `AWS::SNS::Subscription` (Lambda, SQS, e-mail; filter policies; raw delivery; a
 * redrive policy's dead-letter queue). A Lambda subscription invokes the function
 * asynchronously as `sns.amazonaws.com` (its permission decides), an SQS one sends as
 * `sns.amazonaws.com` (the queue policy decides); e-mail stays pending confirmation.
 */
import { randomUUID } from 'node:crypto';
import type { SNSEvent, SNSEventRecord } from 'aws-lambda';
import type { FunctionInvoker, QueueWriter, ResourceProvider, ResourceRequest } from '../service.ts';
import { matchesFilterPolicy } from './filter-policy.ts';
import { parseTopicArn, type SnsTopics, type TopicPolicy } from './topics.ts';

export class SnsResourceError extends Error {
  override name = 'SnsResourceError';
}

interface SubscriptionPorts {
  functions(): FunctionInvoker;
  queues(): QueueWriter;
  log(line: string): void;
}

type Props = Record<string, unknown>;

export class SnsResources {
  readonly #unsubscribe = new Map<string, () => void>();

  constructor(
    private readonly topics: SnsTopics,
    private readonly ports: SubscriptionPorts,
  ) {}

  readonly resources: readonly ResourceProvider[] = [
    {
      type: 'AWS::SNS::Topic',
      create: async (request) => {
        const name =
          typeof request.properties.TopicName === 'string'
            ? request.properties.TopicName
            : request.generatedName(256);
        const arn = this.topics.createTopic(request.stack.account, request.stack.region, name);
        this.applyTopic(arn, request.properties);
        return { physicalId: arn, attributes: { TopicArn: arn, TopicName: name } };
      },
      update: async (request) => {
        const name = request.properties.TopicName;
        if (name !== undefined && name !== parseTopicArn(request.physicalId)?.name) return 'replace';
        this.applyTopic(request.physicalId, request.properties);
        return {
          physicalId: request.physicalId,
          attributes: { TopicArn: request.physicalId, TopicName: parseTopicArn(request.physicalId)?.name },
        };
      },
      delete: async (request) => this.topics.deleteTopic(request.physicalId),
    },
    {
      type: 'AWS::SNS::TopicPolicy',
      create: async (request) => {
        this.applyPolicy(request);
        return { physicalId: request.generatedName(256), attributes: {} };
      },
      update: async (request) => {
        for (const arn of topicsOf(request.previous)) this.topics.updateSettings(arn, { policy: undefined });
        this.applyPolicy(request);
        return { physicalId: request.physicalId, attributes: {} };
      },
      delete: async (request) => {
        for (const arn of topicsOf(request.properties)) {
          if (this.topics.exists(arn)) this.topics.updateSettings(arn, { policy: undefined });
        }
      },
    },
    {
      type: 'AWS::SNS::Subscription',
      create: async (request) => {
        const topicArn = String(request.properties.TopicArn);
        const physicalId = `${topicArn}:${randomUUID()}`;
        this.subscribe(physicalId, request);
        return { physicalId, attributes: { Arn: physicalId } };
      },
      update: async (request) => {
        if (
          request.properties.TopicArn !== request.previous.TopicArn ||
          request.properties.Protocol !== request.previous.Protocol ||
          request.properties.Endpoint !== request.previous.Endpoint
        )
          return 'replace';
        this.#unsubscribe.get(request.physicalId)?.();
        this.subscribe(request.physicalId, request);
        return { physicalId: request.physicalId, attributes: { Arn: request.physicalId } };
      },
      delete: async (request) => {
        this.#unsubscribe.get(request.physicalId)?.();
        this.#unsubscribe.delete(request.physicalId);
      },
      reattach: async (request) => {
        this.#unsubscribe.get(request.physicalId)?.();
        this.subscribe(request.physicalId, request);
      },
    },
  ];

  private applyTopic(arn: string, properties: Props): void {
    const attributes: Record<string, string> = {};
    if (typeof properties.DisplayName === 'string') attributes.DisplayName = properties.DisplayName;
    this.topics.updateSettings(arn, {
      kmsMasterKeyId: typeof properties.KmsMasterKeyId === 'string' ? properties.KmsMasterKeyId : undefined,
      attributes,
    });
  }

  private applyPolicy(request: ResourceRequest): void {
    const document = request.properties.PolicyDocument;
    if (typeof document !== 'object' || document === null)
      throw new SnsResourceError(`${request.logicalId}.PolicyDocument must be a policy document`);
    for (const arn of topicsOf(request.properties)) {
      if (!this.topics.exists(arn))
        throw new SnsResourceError(`${request.logicalId}: topic ${arn} does not exist`);
      this.topics.updateSettings(arn, { policy: document as TopicPolicy });
    }
  }

  private subscribe(physicalId: string, request: ResourceRequest): void {
    const { properties, logicalId, stack } = request;
    const topicArn = String(properties.TopicArn);
    const protocol = String(properties.Protocol ?? '');
    const endpoint = String(properties.Endpoint ?? '');
    if (!this.topics.exists(topicArn))
      throw new SnsResourceError(`${logicalId}: topic ${topicArn} does not exist`);
    const filter = parseFilter(properties.FilterPolicy, logicalId);
    const scope = properties.FilterPolicyScope === 'MessageBody' ? 'MessageBody' : 'MessageAttributes';
    const raw = properties.RawMessageDelivery === true || properties.RawMessageDelivery === 'true';
    const deadLetter = (properties.RedrivePolicy as Props | undefined)?.deadLetterTargetArn;
    const source = {
      kind: 'service' as const,
      principal: 'sns.amazonaws.com',
      sourceArn: topicArn,
      sourceAccount: stack.account,
    };
    this.topics.addSubscription({ topicArn, protocol, endpoint, owner: stack.account });
    if (
      protocol === 'email' ||
      protocol === 'email-json' ||
      protocol === 'http' ||
      protocol === 'https' ||
      protocol === 'sms'
    ) {
      this.ports.log(
        `sns: ${protocol} subscription ${physicalId} to ${endpoint} stays pending confirmation (the local cloud sends nothing out)`,
      );
      return;
    }
    if (protocol !== 'lambda' && protocol !== 'sqs')
      throw new SnsResourceError(`${logicalId}: the local cloud does not deliver SNS protocol '${protocol}'`);
    const unsubscribe = this.topics.subscribe(topicArn, async (event: SNSEvent) => {
      const record = event.Records[0] as SNSEventRecord;
      if (filter !== undefined && !passes(filter, scope, record)) return;
      const delivered = { ...event, Records: [{ ...record, EventSubscriptionArn: physicalId }] };
      try {
        if (protocol === 'lambda') await this.ports.functions().invokeAsync(endpoint, delivered, source);
        else
          await this.ports
            .queues()
            .send(endpoint, raw ? record.Sns.Message : JSON.stringify(envelope(record)), source);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        if (typeof deadLetter === 'string') {
          this.ports.log(
            `sns: delivery of ${record.Sns.MessageId} to ${endpoint} failed (${why}); sent to ${deadLetter}`,
          );
          await this.ports.queues().send(deadLetter, JSON.stringify(envelope(record)), source);
          return;
        }
        throw error;
      }
    });
    this.#unsubscribe.set(physicalId, unsubscribe);
  }
}

function topicsOf(properties: Props): string[] {
  const topics = properties.Topics;
  return Array.isArray(topics) ? topics.map(String) : [];
}

function parseFilter(value: unknown, logicalId: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  const parsed = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new SnsResourceError(`${logicalId}.FilterPolicy must be a JSON object`);
  return parsed as Record<string, unknown>;
}

function passes(filter: Record<string, unknown>, scope: string, record: SNSEventRecord): boolean {
  if (scope === 'MessageBody') {
    try {
      const body = JSON.parse(record.Sns.Message) as unknown;
      return (
        typeof body === 'object' &&
        body !== null &&
        matchesFilterPolicy(filter, body as Record<string, unknown>)
      );
    } catch {
      return false;
    }
  }
  const attributes: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(record.Sns.MessageAttributes ?? {})) {
    attributes[name] = attribute.Type.startsWith('Number') ? Number(attribute.Value) : attribute.Value;
  }
  return matchesFilterPolicy(filter, attributes);
}

/** The JSON an SQS subscriber gets without raw delivery. */
function envelope(record: SNSEventRecord): Record<string, unknown> {
  const sns = record.Sns;
  return {
    Type: 'Notification',
    MessageId: sns.MessageId,
    TopicArn: sns.TopicArn,
    ...(sns.Subject ? { Subject: sns.Subject } : {}),
    Message: sns.Message,
    Timestamp: sns.Timestamp,
    SignatureVersion: sns.SignatureVersion,
    Signature: sns.Signature,
    SigningCertURL: sns.SigningCertUrl,
    UnsubscribeURL: sns.UnsubscribeUrl,
    ...(Object.keys(sns.MessageAttributes ?? {}).length === 0
      ? {}
      : { MessageAttributes: sns.MessageAttributes }),
  };
}
