import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse } from 'aws-lambda';
import { handleRuleChanges } from '../gate/rule-change.ts';
import { gateNow } from '../shared/clock.ts';
import { METRIC } from '../shared/metrics.ts';
import { parseEvent, StreamEventSchema, streamItems } from './event-schemas.ts';
import { logger, metrics, tracing } from './observability.ts';
import { ruleChangeRuntime } from './rule-change-runtime.ts';

/** Rules-table stream → validate changed items, bump the rules version, sweep what they reach. */
async function ruleChange(event: unknown): Promise<DynamoDBBatchResponse> {
  const { Records } = parseEvent(StreamEventSchema, event, 'DynamoDB stream event');
  metrics.addMetric(METRIC.ruleItemChanges, MetricUnit.Count, Records.length);
  const gate = ruleChangeRuntime();
  const result = await handleRuleChanges(streamItems(Records), {
    rulesStore: gate.rulesStore,
    ledger: gate.ledger,
    notifier: gate.notifier,
    events: gate.events,
    now: gateNow,
  });
  if (result.invalid.length > 0)
    metrics.addMetric(METRIC.invalidRules, MetricUnit.Count, result.invalid.length);
  logger.info('rule changes handled', {
    version: result.version,
    invalid: result.invalid.map((p) => p.item),
    services: result.services,
  });
  return { batchItemFailures: result.failedFrom ? [{ itemIdentifier: result.failedFrom }] : [] };
}

export const handler = middy(ruleChange)
  .use(tracing)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
