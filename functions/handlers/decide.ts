import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { decideConnectionEvent } from '../gate/decide-event.ts';
import { METRIC } from '../shared/metrics.ts';
import { ConnectionEventSchema, parseEvent } from './event-schemas.ts';
import { countOutcomes, countRulesUnreadable, logger, metrics, runtime, tracer } from './runtime.ts';

/** EventBridge `Connection Event` → re-read, evaluate, act, record, notify. */
async function decide(event: unknown, context: Context) {
  const { detail, time } = parseEvent(ConnectionEventSchema, event, 'Connection Event');
  metrics.addMetric(METRIC.connectionEvents, MetricUnit.Count, 1);
  const gate = runtime();
  let result: Awaited<ReturnType<typeof decideConnectionEvent>>;
  try {
    result = await decideConnectionEvent(detail, {
      ...gate.decideDeps(context.awsRequestId),
      rules: gate.rules,
    });
  } catch (error) {
    countRulesUnreadable(error);
    throw error;
  }
  if (result.status !== 'decided') {
    logger.info('connection event needs no decision', { status: result.status, ...detail, raw: undefined });
    return result;
  }
  countOutcomes(result.entries);
  const sent = time ? Date.parse(time) : Number.NaN;
  if (Number.isFinite(sent) && result.entries.some((e) => e.action !== 'none')) {
    metrics.addMetric(METRIC.decisionLatency, MetricUnit.Milliseconds, Date.now() - sent);
  }
  for (const entry of result.entries) {
    logger.info('connection decided', {
      endpointId: entry.endpointId,
      serviceId: entry.serviceId,
      outcome: entry.outcome,
      rule: entry.rule,
    });
  }
  return { status: result.status, outcomes: result.entries.map((e) => [e.endpointId, e.outcome]) };
}

export const handler = middy(decide)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
