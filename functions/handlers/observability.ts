/**
 * Logger, metrics and tracer of every handler, one per container: no SDK client here, so a
 * handler that needs only some clients does not pull the others into its bundle.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { LedgerEntry } from '../gate/ports.ts';
import { RulesUnreadableError } from '../gate/rules-cache.ts';
import { SDK_TRACING_ENV } from '../shared/config.ts';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE, OUTCOME_METRIC } from '../shared/metrics.ts';

export const logger = new Logger({ serviceName: METRICS_SERVICE });
// Metrics' own warnings (an invocation with nothing to count) go through the logger, at its level.
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, logger });

/**
 * Powertools' tracer (an X-Ray subsegment per handler and per AWS call) only when the stack
 * turns it on (config `sdkTracing`, which sets POWERTOOLS_TRACE_ENABLED=true); Lambda's active
 * tracing records every invocation without it. Off, the X-Ray SDK is never evaluated: with it,
 * decide's cold start took 120-180 ms longer (BENCHMARKS.md, Cold start), and its cls-hooked
 * context enables async hooks that tax every promise of the container.
 */
// `process.env.PLGATE_BUNDLED_SDK_TRACING` is replaced when the stack bundles a handler
// (infra/constructs/gate-function.ts): by "false" unless `sdkTracing` is on, which leaves
// the imports below in a dead branch, so the bundle carries no X-Ray SDK at all (about
// 117 KiB that V8 would otherwise parse at every cold start). Unbundled (tests, plgate
// local) it is unset, and the environment alone decides.
const tracer =
  process.env.PLGATE_BUNDLED_SDK_TRACING !== 'false' && process.env[SDK_TRACING_ENV] === 'true'
    ? new (await import('@aws-lambda-powertools/tracer')).Tracer({ serviceName: METRICS_SERVICE })
    : undefined;

/** The handlers' tracing middleware: none unless the tracer is on. */
export const tracing: MiddlewareObj[] =
  process.env.PLGATE_BUNDLED_SDK_TRACING !== 'false' && tracer !== undefined
    ? [(await import('@aws-lambda-powertools/tracer/middleware')).captureLambdaHandler(tracer)]
    : [];

/** An SDK client with its calls traced when the tracer is on, as it is otherwise. */
export function traced<T>(client: T): T {
  return tracer === undefined ? client : tracer.captureAWSv3Client(client);
}

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
