/**
 * Logger, metrics and tracer of every handler, one per container: no SDK client here, so a
 * handler that needs only some clients does not pull the others into its bundle.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { LedgerEntry } from '../gate/ports.ts';
import { RulesUnreadableError } from '../gate/rules-cache.ts';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE, OUTCOME_METRIC } from '../shared/metrics.ts';

export const logger = new Logger({ serviceName: METRICS_SERVICE });
// Metrics' own warnings (an invocation with nothing to count) go through the logger, at its level.
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, logger });
export const tracer = new Tracer({ serviceName: METRICS_SERVICE });

/** One EMF count per outcome, so alarms and the dashboard can read them. */
export function countOutcomes(entries: readonly LedgerEntry[]): void {
  for (const entry of entries) {
    if (entry.dryRun) continue;
    metrics.addMetric(OUTCOME_METRIC[entry.outcome], MetricUnit.Count, 1);
  }
}

/** Counts an invocation that could not read the rules (the alarm reads it); other errors pass. */
export function countRulesUnreadable(error: unknown): void {
  if (!(error instanceof RulesUnreadableError)) return;
  metrics.addMetric(METRIC.rulesUnreadable, MetricUnit.Count, 1);
  logger.error('rules unreadable: holding every request until they can be read', { error });
}
