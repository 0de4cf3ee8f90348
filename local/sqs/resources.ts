/**
 * The CloudFormation resource types of SQS: `AWS::SQS::Queue` (Ref: the queue URL; GetAtt
 * Arn, QueueName, QueueUrl; changed in place but for a new name, which replaces it) and
 * `AWS::SQS::QueuePolicy` (the policy of each queue it lists; deleting it removes them).
 */
import type { CreatedResource, ResourceProvider, ResourceRequest } from '../service.ts';
import { DEFAULT_ATTRIBUTES, validatedAttributes } from './attributes.ts';
import { SqsError } from './errors.ts';
import type { Queue } from './queue.ts';
import { queueArnOf } from './queue.ts';
import { SqsQueues } from './queues.ts';

export class SqsResourceError extends Error {
  override name = 'SqsResourceError';
}

/** Queue properties and the attribute each sets. */
const QUEUE_ATTRIBUTES: Record<string, string> = {
  DelaySeconds: 'DelaySeconds',
  MaximumMessageSize: 'MaximumMessageSize',
  MessageRetentionPeriod: 'MessageRetentionPeriod',
  ReceiveMessageWaitTimeSeconds: 'ReceiveMessageWaitTimeSeconds',
  VisibilityTimeout: 'VisibilityTimeout',
  RedrivePolicy: 'RedrivePolicy',
  RedriveAllowPolicy: 'RedriveAllowPolicy',
  KmsMasterKeyId: 'KmsMasterKeyId',
  KmsDataKeyReusePeriodSeconds: 'KmsDataKeyReusePeriodSeconds',
  SqsManagedSseEnabled: 'SqsManagedSseEnabled',
  FifoQueue: 'FifoQueue',
  ContentBasedDeduplication: 'ContentBasedDeduplication',
  DeduplicationScope: 'DeduplicationScope',
  FifoThroughputLimit: 'FifoThroughputLimit',
};
const OTHER_QUEUE_PROPERTIES = new Set(['QueueName', 'Tags']);

const asAttribute = (value: unknown): unknown =>
  typeof value === 'object' && value !== null ? JSON.stringify(value) : value;

function refuse(request: ResourceRequest, problem: string, cause?: unknown): SqsResourceError {
  return new SqsResourceError(
    `${request.logicalId} (${request.stack.name}): ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}

/** The queue attributes a template's properties set, checked as SQS checks them. */
function attributesOf(request: ResourceRequest): Record<string, string> {
  const given: Record<string, unknown> = {};
  for (const [property, value] of Object.entries(request.properties)) {
    const attribute = QUEUE_ATTRIBUTES[property];
    if (attribute !== undefined) given[attribute] = asAttribute(value);
    else if (!OTHER_QUEUE_PROPERTIES.has(property)) {
      throw refuse(request, `AWS::SQS::Queue has no property ${property}`);
    }
  }
  try {
    return validatedAttributes(given);
  } catch (error) {
    throw refuse(request, error instanceof Error ? error.message : String(error), error);
  }
}

function tagsOf(request: ResourceRequest): Record<string, string> {
  const tags = request.properties.Tags;
  if (tags === undefined) return {};
  if (!Array.isArray(tags))
    throw refuse(request, `Tags must be a list of {Key, Value}, got ${JSON.stringify(tags)}`);
  return Object.fromEntries(
    tags.map((tag: unknown) => {
      const { Key, Value } = (typeof tag === 'object' && tag !== null ? tag : {}) as Record<string, unknown>;
      if (typeof Key !== 'string' || typeof Value !== 'string') {
        throw refuse(request, `a tag must be {Key, Value} strings, got ${JSON.stringify(tag)}`);
      }
      return [Key, Value];
    }),
  );
}

function nameOf(request: ResourceRequest): string {
  const name = request.properties.QueueName ?? request.generatedName(80);
  try {
    return SqsQueues.checkName(name);
  } catch (error) {
    throw refuse(request, `QueueName: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

export function queueProvider(queues: SqsQueues, urlOf: (queue: Queue) => string): ResourceProvider {
  const created = (queue: Queue): CreatedResource => ({
    physicalId: urlOf(queue),
    attributes: { Arn: queue.arn, QueueName: queue.name, QueueUrl: urlOf(queue) },
  });
  const queueOf = (request: ResourceRequest & { physicalId: string }): Queue | undefined => {
    try {
      return queues.byUrl(request.physicalId, request.stack.region);
    } catch {
      return undefined;
    }
  };
  return {
    type: 'AWS::SQS::Queue',
    async create(request) {
      const name = nameOf(request);
      const attributes = attributesOf(request);
      const address = { account: request.stack.account, region: request.stack.region, name };
      if (queues.find(address) !== undefined) throw refuse(request, `queue ${name} already exists`);
      let queue: Queue;
      try {
        queue = queues.create(address, attributes);
      } catch (error) {
        throw refuse(request, error instanceof Error ? error.message : String(error), error);
      }
      queue.tags = tagsOf(request);
      return created(queue);
    },
    async update(request) {
      const before = request.previous.QueueName;
      const after = request.properties.QueueName;
      if (before !== after || request.previous.FifoQueue !== request.properties.FifoQueue) return 'replace';
      const queue = queueOf(request);
      if (queue === undefined) throw refuse(request, `queue ${request.physicalId} does not exist`);
      const attributes = attributesOf(request);
      // A property taken out of the template goes back to SQS's default.
      const reset = Object.fromEntries(
        Object.keys(queue.setAttributes)
          .filter((name) => !(name in attributes))
          .map((name) => [name, DEFAULT_ATTRIBUTES[name] ?? '']),
      );
      try {
        queues.setAttributes(queue, { ...reset, ...attributes });
      } catch (error) {
        throw refuse(request, error instanceof Error ? error.message : String(error), error);
      }
      queue.tags = tagsOf(request);
      return created(queue);
    },
    async delete(request) {
      const queue = queueOf(request);
      if (queue !== undefined) queues.remove(queueArnOf(queue.address));
    },
  };
}

function policyProperties(request: ResourceRequest): { urls: string[]; policy: string } {
  const { Queues, PolicyDocument, ...rest } = request.properties;
  const unknown = Object.keys(rest);
  if (unknown.length > 0)
    throw refuse(request, `AWS::SQS::QueuePolicy has no property ${unknown.join(', ')}`);
  if (!Array.isArray(Queues) || Queues.length === 0 || !Queues.every((url) => typeof url === 'string')) {
    throw refuse(request, `Queues must be a non-empty list of queue URLs, got ${JSON.stringify(Queues)}`);
  }
  if (typeof PolicyDocument !== 'object' || PolicyDocument === null || Array.isArray(PolicyDocument)) {
    throw refuse(request, `PolicyDocument must be a policy object, got ${JSON.stringify(PolicyDocument)}`);
  }
  const policy = JSON.stringify(PolicyDocument);
  try {
    validatedAttributes({ Policy: policy });
  } catch (error) {
    throw refuse(request, error instanceof Error ? error.message : String(error), error);
  }
  return { urls: Queues as string[], policy };
}

export function queuePolicyProvider(queues: SqsQueues): ResourceProvider {
  const setPolicy = (request: ResourceRequest, urls: readonly string[], policy: string) => {
    for (const url of urls) {
      let queue: Queue;
      try {
        queue = queues.byUrl(url, request.stack.region);
      } catch (error) {
        if (error instanceof SqsError) throw refuse(request, `queue ${url}: ${error.message}`, error);
        throw error;
      }
      queue.setAttributesTo({ Policy: policy });
    }
  };
  const removePolicy = (region: string, urls: readonly unknown[]) => {
    for (const url of urls) {
      try {
        queues.byUrl(url, region).setAttributesTo({ Policy: '' });
      } catch {
        // The queue went first: nothing to remove.
      }
    }
  };
  return {
    type: 'AWS::SQS::QueuePolicy',
    async create(request) {
      const { urls, policy } = policyProperties(request);
      setPolicy(request, urls, policy);
      return { physicalId: request.generatedName(), attributes: {} };
    },
    async update(request) {
      const { urls, policy } = policyProperties(request);
      const previous = Array.isArray(request.previous.Queues) ? request.previous.Queues : [];
      removePolicy(
        request.stack.region,
        previous.filter((url) => !urls.includes(url as string)),
      );
      setPolicy(request, urls, policy);
      return { physicalId: request.physicalId, attributes: {} };
    },
    async delete(request) {
      const urls = Array.isArray(request.properties.Queues) ? request.properties.Queues : [];
      removePolicy(request.stack.region, urls);
    },
  };
}
