/**
 * What the decide, ingest and sweep handlers share in one container: every SDK client they
 * call (EC2 among them) and the adapters over them; rule-change wires only its own
 * (rule-change-runtime.ts). Built once, on the first invocation (so `plgate local` can
 * set the environment before), and reused by every invocation after.
 */
import { type AwsClients, createClients, type StaticCredentials } from '../aws/clients.ts';
import { createGateAdapters, decideDepsOf, type GateAdapters } from '../aws/gate-adapters.ts';
import type { DecideDeps } from '../gate/decide-service.ts';
import { ManagedServiceCache } from '../gate/managed-services.ts';
import { type GateConfig, readConfig } from '../shared/config.ts';
import { invocationCredentials } from './invocation-credentials.ts';
import { logger, traced } from './observability.ts';

export { countOutcomes, countRulesUnreadable, logger, metrics, tracing } from './observability.ts';

export interface Runtime extends Omit<GateAdapters, 'endpointServices'> {
  /** EC2 with whether a service is managed kept for the container (see ManagedServiceCache). */
  endpointServices: ManagedServiceCache;
  config: GateConfig;
  /** The container's SDK clients (traced when SDK tracing is on), for adapters of a handler's own. */
  clients: AwsClients;
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
  for (const client of Object.values(clients)) traced(client);
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
