/**
 * What every handler shares in one container: logger, metrics, tracer, the SDK clients
 * and the adapters over them. Built once, on the first invocation (so `plgate local` can
 * set the environment before), and reused by every invocation after.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { createClients } from '../aws/clients.ts';
import { createGateAdapters, decideDepsOf, type GateAdapters } from '../aws/gate-adapters.ts';
import type { DecideDeps } from '../gate/decide-service.ts';
import { ManagedServiceCache } from '../gate/managed-services.ts';
import type { LedgerEntry } from '../gate/ports.ts';
import { type GateConfig, readConfig } from '../shared/config.ts';
import { METRICS_NAMESPACE, METRICS_SERVICE, OUTCOME_METRIC } from '../shared/metrics.ts';

export const logger = new Logger({ serviceName: METRICS_SERVICE });
// Metrics' own warnings (an invocation with nothing to count) go through the logger, at its level.
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, logger });
export const tracer = new Tracer({ serviceName: METRICS_SERVICE });

export interface Runtime extends Omit<GateAdapters, 'endpointServices'> {
  /** EC2 with whether a service is managed kept for the container (see ManagedServiceCache). */
  endpointServices: ManagedServiceCache;
  config: GateConfig;
  /** The decision pipeline's dependencies for one invocation. */
  decideDeps(holder: string): DecideDeps;
}

let built: Runtime | undefined;

export function runtime(): Runtime {
  built ??= buildRuntime(readConfig());
  return built;
}

function buildRuntime(config: GateConfig): Runtime {
  const clients = createClients();
  for (const client of Object.values(clients)) tracer.captureAWSv3Client(client);
  const created = createGateAdapters(config, clients, logger);
  const adapters = { ...created, endpointServices: new ManagedServiceCache(created.endpointServices) };
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

/** Test seam: forget the built runtime (config or clients changed). */
export function resetRuntime(): void {
  built = undefined;
}
