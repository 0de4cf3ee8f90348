/**
 * What every handler shares in one container: logger, metrics, tracer, the SDK clients
 * and the adapters over them. Built once, on the first invocation (so `plgate local` can
 * set the environment before), and reused by every invocation after.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { createClients, type StaticCredentials } from '../aws/clients.ts';
import { createGateAdapters, decideDepsOf, type GateAdapters } from '../aws/gate-adapters.ts';
import type { DecideDeps } from '../gate/decide-service.ts';
import type { LedgerEntry } from '../gate/ports.ts';
import { RulesUnreadableError } from '../gate/rules-cache.ts';
import { type GateConfig, readConfig } from '../shared/config.ts';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE, OUTCOME_METRIC } from '../shared/metrics.ts';
import { invocationCredentials } from './invocation-credentials.ts';

export const logger = new Logger({ serviceName: METRICS_SERVICE });
// Metrics' own warnings (an invocation with nothing to count) go through the logger, at its level.
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, logger });
export const tracer = new Tracer({ serviceName: METRICS_SERVICE });

export interface Runtime extends GateAdapters {
  config: GateConfig;
  /** The decision pipeline's dependencies for one invocation. */
  decideDeps(holder: string): DecideDeps;
}

/** One per container; in `plgate local`, one per function (by its role's access key). */
const built = new Map<string, Runtime>();

export function runtime(): Runtime {
  const credentials = invocationCredentials.getStore();
  const container = credentials?.accessKeyId ?? '';
  let gate = built.get(container);
  if (gate === undefined) {
    gate = buildRuntime(readConfig(), credentials);
    built.set(container, gate);
  }
  return gate;
}

function buildRuntime(config: GateConfig, credentials: StaticCredentials | undefined): Runtime {
  // In Lambda: the SDK's default chain. In `plgate local`: the invocation's role credentials.
  const clients = createClients(credentials === undefined ? {} : { credentials });
  for (const client of Object.values(clients)) tracer.captureAWSv3Client(client);
  const adapters = createGateAdapters(config, clients, logger);
  const log = (message: string, data: Record<string, unknown>): void => logger.info(message, data);
  const region = process.env.AWS_REGION;
  return {
    ...adapters,
    config,
    decideDeps: (holder) => decideDepsOf(adapters, holder, { log, ...(region ? { region } : {}) }),
  };
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

/** Test seam: forget the built runtime (config or clients changed). */
export function resetRuntime(): void {
  built.clear();
}
