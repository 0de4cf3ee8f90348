/**
 * What the decide, ingest, sweep, operator and register handlers share in one container:
 * every SDK client they call (EC2 among them) and the adapters over them; rule-change wires
 * only its own (rule-change-runtime.ts). Built once by containerRuntime (container.ts).
 */
import { type AwsClients, createClients } from '../aws/clients.ts';
import { createGateAdapters, decideDepsOf, type GateAdapters } from '../aws/gate-adapters.ts';
import type { DecideDeps } from '../gate/decide-service.ts';
import { ManagedServiceCache } from '../gate/managed-services.ts';
import type { GateConfig } from '../shared/config.ts';
import { containerRuntime } from './container.ts';
import { logger } from './observability.ts';

export interface Runtime extends Omit<GateAdapters, 'endpointServices'> {
  /** EC2 with whether a service is managed kept for the container (see ManagedServiceCache). */
  endpointServices: ManagedServiceCache;
  config: GateConfig;
  /** The container's SDK clients (traced when SDK tracing is on), for adapters of a handler's own. */
  clients: AwsClients;
  /** The decision pipeline's dependencies for one invocation. */
  decideDeps(holder: string): DecideDeps;
}

/** The gate's adapters over the container's clients. */
export function gateRuntime(clients: AwsClients, config: GateConfig): Runtime {
  const created = createGateAdapters(config, clients, logger);
  const adapters = { ...created, endpointServices: new ManagedServiceCache(created.endpointServices) };
  const log = (message: string, data: Record<string, unknown>): void => logger.info(message, data);
  const region = process.env.AWS_REGION;
  return {
    ...adapters,
    config,
    clients,
    decideDeps: (holder) => decideDepsOf(adapters, holder, { log, ...(region ? { region } : {}) }),
  };
}

export const runtime = containerRuntime({ clients: (options) => createClients(options), build: gateRuntime });
