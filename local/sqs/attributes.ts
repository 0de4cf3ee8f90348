/**
 * Queue attributes as SQS takes and gives them: strings on the wire, checked against the
 * ranges SQS enforces, with SQS's defaults. FIFO queues are not part of the local cloud:
 * asking for one is refused by name.
 */
import type { PolicyDocument } from '../iam/authorizer.ts';
import { SqsError } from './errors.ts';

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

const RANGES = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 1_048_576],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43_200],
  KmsDataKeyReusePeriodSeconds: [60, 86_400],
} as const;

type NumericAttribute = keyof typeof RANGES;

/** What a new queue has unless told otherwise. */
export const DEFAULT_ATTRIBUTES: Readonly<Record<string, string>> = {
  DelaySeconds: '0',
  MaximumMessageSize: '1048576',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  SqsManagedSseEnabled: 'true',
};

const FIFO_ONLY = new Set([
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);
const TEXT = new Set([
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'SqsManagedSseEnabled',
]);

/** The attributes GetQueueAttributes may name besides the settable ones. */
export const COMPUTED_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

export function isKnownAttribute(name: string): boolean {
  return (
    name in RANGES ||
    TEXT.has(name) ||
    FIFO_ONLY.has(name) ||
    (COMPUTED_ATTRIBUTES as readonly string[]).includes(name)
  );
}

const invalid = (name: string, reason: string) =>
  new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}. Reason: ${reason}`);

/**
 * Checks attributes given to CreateQueue or SetQueueAttributes; returns them as SQS
 * stores them (numbers without leading zeros, policies as given).
 */
export function validatedAttributes(given: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, raw] of Object.entries(given)) {
    if (FIFO_ONLY.has(name)) {
      if (name === 'FifoQueue' && (raw === 'false' || raw === false)) continue;
      throw new SqsError(
        'InvalidAttributeName',
        `The local cloud has no FIFO queues: attribute ${name} (${String(raw)}) is not supported.`,
      );
    }
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      throw invalid(name, `expected a string, got ${JSON.stringify(raw)}`);
    }
    const value = String(raw);
    if (name in RANGES) {
      const [min, max] = RANGES[name as NumericAttribute];
      if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
        throw invalid(name, `'${value}' is not an integer from ${min} to ${max}.`);
      }
      result[name] = String(Number(value));
      continue;
    }
    if (!TEXT.has(name)) throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    if (name === 'Policy') policyOf(value);
    if (name === 'RedrivePolicy' && value !== '') redrivePolicyOf(value);
    if (name === 'RedriveAllowPolicy' && value !== '') jsonObject(name, value);
    if (name === 'SqsManagedSseEnabled' && value !== 'true' && value !== 'false') {
      throw invalid(name, `'${value}' is not true or false.`);
    }
    result[name] = value;
  }
  return result;
}

function jsonObject(name: string, value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw invalid(name, 'it is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid(name, 'it is not a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

export function redrivePolicyOf(value: string): RedrivePolicy {
  const parsed = jsonObject('RedrivePolicy', value);
  const target = parsed.deadLetterTargetArn;
  const count = Number(parsed.maxReceiveCount);
  if (
    typeof target !== 'string' ||
    !/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}$/.test(target)
  ) {
    throw invalid('RedrivePolicy', `deadLetterTargetArn ${JSON.stringify(target)} is not a queue ARN.`);
  }
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw invalid(
      'RedrivePolicy',
      `maxReceiveCount ${JSON.stringify(parsed.maxReceiveCount)} is not an integer from 1 to 1000.`,
    );
  }
  return { deadLetterTargetArn: target, maxReceiveCount: count };
}

export function policyOf(value: string): PolicyDocument {
  const parsed = jsonObject('Policy', value);
  if (
    !Array.isArray(parsed.Statement) &&
    (typeof parsed.Statement !== 'object' || parsed.Statement === null)
  ) {
    throw invalid('Policy', 'it has no Statement.');
  }
  const version = parsed.Version === '2008-10-17' ? '2008-10-17' : '2012-10-17';
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  return {
    Version: version,
    ...(typeof parsed.Id === 'string' ? { Id: parsed.Id } : {}),
    Statement: statements as Record<string, unknown>[],
  };
}

/** A numeric attribute of a queue whose attributes were validated. */
export function seconds(attributes: Record<string, string>, name: NumericAttribute): number {
  return Number(attributes[name] ?? DEFAULT_ATTRIBUTES[name] ?? '0');
}
