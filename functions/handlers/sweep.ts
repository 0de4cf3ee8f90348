import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type SweepRequest, sweep as sweepServices } from '../gate/sweep.ts';
import { METRIC } from '../shared/metrics.ts';
import { parseEvent, SweepEventSchema } from './event-schemas.ts';
import { countOutcomes, countRulesUnreadable, logger, metrics, tracing } from './observability.ts';
import { runtime } from './runtime.ts';

/** Schedule or `Sweep Requested` → reconcile every managed service with EC2. */
async function sweep(event: unknown, context: Context) {
  const parsed = parseEvent(SweepEventSchema, event, 'sweep event');
  const request: SweepRequest = 'detail' in parsed ? parsed.detail : {};
  metrics.addMetric(METRIC.sweeps, MetricUnit.Count, 1);
  const gate = runtime();
  let report: Awaited<ReturnType<typeof sweepServices>>;
  try {
    report = await sweepServices(request, {
      ...gate.decideDeps(context.awsRequestId),
      rules: gate.rules,
      rulesWriter: gate.rulesStore,
      ingestTopicArn: gate.config.ingestTopicArn,
      remainingMs: () => context.getRemainingTimeInMillis(),
    });
  } catch (error) {
    countRulesUnreadable(error);
    throw error;
  }
  const entries = report.services.flatMap((s) => s.entries);
  countOutcomes(entries);
  const waiting = report.services.reduce((sum, s) => sum + s.waiting, 0);
  if (!report.continuedFrom && !request.serviceIds)
    metrics.addMetric(METRIC.heldRequests, MetricUnit.Count, waiting);
  logger.info('sweep done', {
    services: report.services.map((s) => ({
      serviceId: s.serviceId,
      mode: s.mode,
      enrolled: s.enrolled,
      connections: s.connections,
      waiting: s.waiting,
      decisions: s.entries.length,
    })),
    continuedFrom: report.continuedFrom,
  });
  return report;
}

export const handler = middy(sweep).use(tracing).use(injectLambdaContext(logger)).use(logMetrics(metrics));
