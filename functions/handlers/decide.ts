import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { type DecideEventResult, decideConnectionEvents } from '../gate/decide-event.ts';
import type { ConnectionEventDetail } from '../shared/events.ts';
import { METRIC } from '../shared/metrics.ts';
import { ConnectionEventSchema, InvalidEventError, parseEvent, SqsEventSchema } from './event-schemas.ts';
import { flushMemberThrottles } from './member-throttles.ts';
import { countOutcomes, countRulesUnreadable, logger, metrics, tracing } from './observability.ts';
import { runtime } from './runtime.ts';

const processor = new BatchProcessor(EventType.SQS);

type Message = { detail: ConnectionEventDetail; time?: string } | { invalid: InvalidEventError };

/** One queue message's `Connection Event`, or why it is not one. */
function messageOf(body: string): Message {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch (error) {
    return { invalid: new InvalidEventError(`invalid Connection Event: body is not JSON`, { cause: error }) };
  }
  try {
    const { detail, time } = parseEvent(ConnectionEventSchema, event, 'Connection Event');
    return time === undefined ? { detail } : { detail, time };
  } catch (error) {
    if (error instanceof InvalidEventError) return { invalid: error };
    throw error;
  }
}

/**
 * The decide queue (EventBridge `Connection Event` → SQS → here, batched by a window) →
 * per service one re-read of the named connections, one decision over all of them.
 * A malformed message, or every message of a service whose decision failed, is reported
 * as a batch item failure: SQS gives it again and dead-letters it after the last receive.
 */
async function decide(event: unknown, context: Context): Promise<SQSBatchResponse> {
  const { Records } = parseEvent(SqsEventSchema, event, 'SQS event');
  metrics.addMetric(METRIC.connectionEvents, MetricUnit.Count, Records.length);
  const messages = new Map(Records.map((record) => [record.messageId, messageOf(record.body)]));
  const details = [...messages.values()].flatMap((m) => ('detail' in m ? [m.detail] : []));
  const gate = runtime();
  // A member's event says where its service lives: the hub routes to it without a listing.
  for (const detail of details) {
    if (gate.fleet && detail.serviceAccount && detail.serviceRegion)
      gate.fleet.services.locate(detail.serviceId, {
        account: detail.serviceAccount,
        region: detail.serviceRegion,
      });
  }
  const results = decideConnectionEvents(details, {
    ...gate.decideDeps(context.awsRequestId),
    remainingMs: () => context.getRemainingTimeInMillis(),
    rules: gate.rules,
  });

  const response = await processPartialResponse(
    { Records },
    async (record: { messageId: string }) => {
      const message = messages.get(record.messageId);
      if (!message || 'invalid' in message) throw message?.invalid ?? new InvalidEventError('no message');
      return results.get(message.detail.serviceId);
    },
    processor,
    { context, throwOnFullBatchFailure: false },
  );

  const acted = new Set<string>();
  for (const [serviceId, pending] of results) {
    const result = await pending.catch((error: unknown) => {
      countRulesUnreadable(error);
      logger.error('connection events of a service failed, to be retried', { serviceId, error });
      return undefined;
    });
    if (result && report(serviceId, result)) acted.add(serviceId);
  }
  for (const message of messages.values()) {
    if ('invalid' in message) {
      logger.error('invalid connection event', { error: message.invalid.message });
      continue;
    }
    const sent = message.time ? Date.parse(message.time) : Number.NaN;
    if (acted.has(message.detail.serviceId) && Number.isFinite(sent))
      metrics.addMetric(METRIC.decisionLatency, MetricUnit.Milliseconds, Date.now() - sent);
  }
  return response;
}

/** Logs and counts what was decided for a service; true when something was done. */
function report(serviceId: string, result: DecideEventResult): boolean {
  if (result.status !== 'decided') {
    logger.info('connection events need no decision', { serviceId, status: result.status });
    return false;
  }
  countOutcomes(result.entries);
  for (const entry of result.entries) {
    logger.info('connection decided', {
      endpointId: entry.endpointId,
      serviceId: entry.serviceId,
      outcome: entry.outcome,
      rule: entry.rule,
    });
  }
  return result.entries.some((e) => e.action !== 'none');
}

export const handler = middy(decide)
  .use(tracing)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(flushMemberThrottles(runtime));
