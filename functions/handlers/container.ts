/**
 * What a handler builds once and reuses: its SDK clients (traced when SDK tracing is on)
 * and the adapters over them. Built on the first invocation, then kept for the container's
 * life. Credentials come from the SDK's default chain: the execution role's, which Lambda
 * (and the local cloud's Lambda runtime) puts in the environment.
 */
import type { ClientOptions } from '../aws/client-config.ts';
import { type GateConfig, readConfig } from '../shared/config.ts';
import { traced } from './observability.ts';

export interface ContainerRuntimeOptions<Clients extends object, Runtime> {
  /**
   * The SDK clients the handler calls, and no others: a bundle carries only the clients its
   * handler's modules import (rule-change has no EC2 client).
   */
  clients: (options: ClientOptions) => Clients;
  /** The handler's adapters and dependencies over those clients. */
  build: (clients: Clients, config: GateConfig) => Runtime;
}

export function containerRuntime<Clients extends object, Runtime>(
  options: ContainerRuntimeOptions<Clients, Runtime>,
): () => Runtime {
  let runtime: Runtime | undefined;
  return () => {
    if (runtime === undefined) {
      const config = readConfig();
      const clients = options.clients({});
      for (const client of Object.values(clients)) traced(client);
      runtime = options.build(clients, config);
    }
    return runtime;
  };
}
