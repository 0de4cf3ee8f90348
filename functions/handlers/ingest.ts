import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { SpokeSubscriptions } from '../aws/spoke-subscriptions.ts';
import { ingestCloudTrail } from '../gate/cloudtrail.ts';
import { ingestNotifications } from '../gate/ingest.ts';
import { ingestSpokeDeliveries } from '../gate/spoke-delivery.ts';
import { gateNow } from '../shared/clock.ts';
import { ENV, type FleetSettings } from '../shared/config.ts';
import { spokeRoleArn } from '../shared/fleet.ts';
import { METRIC } from '../shared/metrics.ts';
import {
  CloudTrailEventSchema,
  InvalidEventError,
  parseEvent,
  SnsEventSchema,
  SqsEventSchema,
} from './event-schemas.ts';
import { flushMemberThrottles } from './member-throttles.ts';
import { countOutcomes, logger, metrics, tracing } from './observability.ts';
import { runtime } from './runtime.ts';

let subscriptions: SpokeSubscriptions | undefined;

/** Gate roles whose CloudTrail accepts/rejects are the gate's own, not a human's. */
const gateRoleArns = (process.env[ENV.gateRoleArns] ?? '').split(',').filter((arn) => arn !== '');

/**
 * In a fleet, the listed members' spoke roles too: only the hub's functions can assume them
 * (their trust), so an accept or reject made with one is the gate's own, known without a read.
 */
function spokeRoleArnsOf(settings: FleetSettings): string[] {
  const partition = /^arn:(aws[a-z-]*):/.exec(gateRoleArns[0] ?? '')?.[1] ?? 'aws';
  return settings.members.map(({ account, region }) =>
    spokeRoleArn(partition, account, region, settings.spokeRoleName),
  );
}

/**
 * Connection notifications (SNS) and the provider's CloudTrail calls (EventBridge default
 * bus) → `Connection Event`s on the gate's bus, enrollment, manual actions in the ledger.
 */
async function ingest(event: unknown, context: Context) {
  const gate = runtime();
  const log = (message: string, data: Record<string, unknown>) => logger.info(message, data);
  if (isSqsEvent(event)) {
    if (!gate.fleet) throw new InvalidEventError('an SQS event reached ingest, but no fleet is configured');
    const { Records } = parseEvent(SqsEventSchema, event, 'SQS event');
    metrics.addMetric(METRIC.notifications, MetricUnit.Count, Records.length);
    subscriptions ??= new SpokeSubscriptions();
    const spokes = subscriptions;
    const result = await ingestSpokeDeliveries(
      Records.map((r) => r.body),
      {
        endpointServices: gate.endpointServices,
        events: gate.events,
        endpointStates: gate.endpointStates,
        fleet: gate.fleet.settings,
        router: gate.fleet.services,
        memberStates: gate.fleet.memberStates,
        now: gateNow,
        log,
      },
      (topicArn, region, token) => spokes.confirm(topicArn, region, token),
    );
    if (result.dropped > 0) metrics.addMetric(METRIC.droppedNotifications, MetricUnit.Count, result.dropped);
    return result;
  }
  if (event !== null && typeof event === 'object' && 'Records' in event) {
    const { Records } = parseEvent(SnsEventSchema, event, 'SNS event');
    metrics.addMetric(METRIC.notifications, MetricUnit.Count, Records.length);
    const result = await ingestNotifications(
      Records.map((r) => ({
        body: r.Sns.Message,
        raw: { topicArn: r.Sns.TopicArn, messageId: r.Sns.MessageId },
      })),
      {
        endpointServices: gate.endpointServices,
        events: gate.events,
        endpointStates: gate.endpointStates,
        now: gateNow,
        log,
      },
    );
    if (result.own > 0) logger.info("notices of the gate's own actions not forwarded", { own: result.own });
    if (result.dropped > 0) metrics.addMetric(METRIC.droppedNotifications, MetricUnit.Count, result.dropped);
    return { forwarded: result.forwarded.length, dropped: result.dropped, own: result.own };
  }
  const { detail } = parseEvent(CloudTrailEventSchema, event, 'CloudTrail event');
  metrics.addMetric(METRIC.cloudTrailCalls, MetricUnit.Count, 1);
  const result = await ingestCloudTrail(detail, {
    endpointServices: gate.endpointServices,
    events: gate.events,
    ledger: gate.ledger,
    endpointStates: gate.endpointStates,
    notifier: gate.notifier,
    ingestTopicArn: gate.config.ingestTopicArn,
    gateRoleArns:
      gate.fleet === undefined ? gateRoleArns : [...gateRoleArns, ...spokeRoleArnsOf(gate.fleet.settings)],
    rulesVersion: () => gate.rulesStore.version(),
    ruleSet: async () => (await gate.rules.current()).ruleSet,
    now: gateNow,
    holder: context.awsRequestId,
    log,
  });
  if (result.kind === 'manual') countOutcomes(result.entries);
  logger.info('cloudtrail event ingested', { eventName: detail.eventName, kind: result.kind });
  return result;
}

function isSqsEvent(event: unknown): boolean {
  if (event === null || typeof event !== 'object') return false;
  const records: unknown = Reflect.get(event, 'Records');
  if (!Array.isArray(records) || records.length === 0) return false;
  const first: unknown = records[0];
  return first !== null && typeof first === 'object' && Reflect.get(first, 'eventSource') === 'aws:sqs';
}

export const handler = middy(ingest)
  .use(tracing)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(flushMemberThrottles(runtime));
