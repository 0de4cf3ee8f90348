/**
 * The shapes the handlers accept, validated at the edge. A malformed event is refused
 * with the field and value named, and the error is rethrown so the event is retried and
 * then dead-lettered: never silently dropped, never acted on.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DETAIL_TYPE, EVENT_SOURCE, TRIGGERS } from '../shared/events.ts';
import * as z from '../shared/zod.ts';

export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
}

const serviceId = z
  .string()
  .check(z.regex(/^vpce-svc-[0-9a-f]{8,17}$/, 'must be an endpoint service id (vpce-svc-…)'));
const endpointId = z.string().check(z.regex(/^vpce-[0-9a-f]{8,17}$/, 'must be an endpoint id (vpce-…)'));

export const ConnectionEventSchema = z.object({
  'detail-type': z.literal(DETAIL_TYPE.connectionEvent),
  source: z.literal(EVENT_SOURCE),
  time: z.optional(z.string()),
  detail: z.object({
    serviceId,
    endpointId: z.optional(endpointId),
    trigger: z.enum(TRIGGERS),
    raw: z.optional(z.unknown()),
    serviceAccount: z.optional(z.string().check(z.regex(/^\d{12}$/))),
    serviceRegion: z.optional(z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/))),
  }),
});

/** The decide queue's messages: each body is an EventBridge event, as a rule's SQS target sends it. */
export const SqsEventSchema = z.object({
  Records: z
    .array(
      z.object({
        messageId: z.string().check(z.minLength(1)),
        body: z.string(),
        eventSource: z.literal('aws:sqs'),
      }),
    )
    .check(z.minLength(1)),
});

export const SweepEventSchema = z.union([
  z.object({ source: z.literal('aws.events'), 'detail-type': z.literal('Scheduled Event') }),
  z.object({
    source: z.literal(EVENT_SOURCE),
    'detail-type': z.literal(DETAIL_TYPE.sweepRequested),
    detail: z.object({
      reason: z.enum(['continuation', 'rule-change', 'manual']),
      serviceIds: z.optional(z.array(serviceId)),
      cursor: z.optional(z.object({ serviceId, nextToken: z.optional(z.string().check(z.minLength(1))) })),
    }),
  }),
]);

export const SnsEventSchema = z.object({
  Records: z
    .array(
      z.object({
        EventSource: z.literal('aws:sns'),
        Sns: z.object({ TopicArn: z.string(), MessageId: z.string(), Message: z.string() }),
      }),
    )
    .check(z.minLength(1)),
});

export const CloudTrailEventSchema = z.object({
  source: z.literal('aws.ec2'),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  detail: z.object({
    eventName: z.string().check(z.minLength(1)),
    eventTime: z.optional(z.string()),
    errorCode: z.optional(z.string()),
    errorMessage: z.optional(z.string()),
    requestID: z.optional(z.string()),
    requestParameters: z.optional(z.unknown()),
    responseElements: z.optional(z.unknown()),
    userIdentity: z.optional(
      z.object({
        arn: z.optional(z.string()),
        sessionContext: z.optional(
          z.object({ sessionIssuer: z.optional(z.object({ arn: z.optional(z.string()) })) }),
        ),
      }),
    ),
  }),
});

const image = z.record(
  z.string(),
  z.custom<AttributeValue>((v) => typeof v === 'object' && v !== null, 'must be a DynamoDB attribute value'),
);

export const StreamEventSchema = z.object({
  Records: z.array(
    z.object({
      eventName: z.enum(['INSERT', 'MODIFY', 'REMOVE']),
      dynamodb: z.object({
        SequenceNumber: z.string(),
        NewImage: z.optional(image),
        OldImage: z.optional(image),
      }),
    }),
  ),
});

export interface StreamItemChange {
  id: string;
  newItem?: Record<string, unknown>;
  oldItem?: Record<string, unknown>;
}

/** The kind an image that cannot be unmarshalled is given: no valid kind, so it is reported and fails closed. */
export const UNREADABLE_IMAGE_KIND = 'unreadable-stream-image';

/**
 * The rule items a stream batch changed. An image the SDK cannot unmarshall (a malformed
 * attribute value) must not block the other records of its batch: it becomes an item of
 * no valid kind, named after its record, which rule-change reports as invalid (and which,
 * like any unreadable item, can only hold requests).
 */
export function streamItems(records: z.output<typeof StreamEventSchema>['Records']): StreamItemChange[] {
  return records.map((record, index) => {
    const image = (name: 'NewImage' | 'OldImage'): Record<string, unknown> | undefined => {
      const value = record.dynamodb[name];
      if (value === undefined) return undefined;
      try {
        return unmarshall(value);
      } catch (error) {
        return {
          kind: UNREADABLE_IMAGE_KIND,
          id: `stream-record-${record.dynamodb.SequenceNumber}`,
          problem: `Records.${index}.dynamodb.${name}: not DynamoDB attribute values (${error instanceof Error ? error.message : String(error)})`,
        };
      }
    };
    const newItem = image('NewImage');
    const oldItem = image('OldImage');
    return {
      id: record.dynamodb.SequenceNumber,
      ...(newItem === undefined ? {} : { newItem }),
      ...(oldItem === undefined ? {} : { oldItem }),
    };
  });
}

/** Parses an event or throws an InvalidEventError naming each bad field and its value. */
export function parseEvent<T extends z.ZodMiniType>(schema: T, event: unknown, what: string): z.output<T> {
  const result = schema.safeParse(event);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.join('.') || '(event)';
    return `${path}: ${issue.message}, got ${JSON.stringify(valueAt(event, issue.path)) ?? 'nothing'}`;
  });
  throw new InvalidEventError(`invalid ${what}: ${problems.join('; ')}`);
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = Reflect.get(current, key);
  }
  return current;
}
