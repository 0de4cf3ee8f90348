/**
 * What a handler builds once and reuses: its SDK clients (traced when SDK tracing is on)
 * and the adapters over them. Built on the first invocation (so `plgate local` can set the
 * environment before), then kept: in Lambda one per container, in `plgate local` one per
 * function (by its role's access key, the invocation's credentials).
 */
import type { ClientOptions } from '../aws/client-config.ts';
import { type GateConfig, readConfig } from '../shared/config.ts';
import { invocationCredentials } from './invocation-credentials.ts';
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
  const built = new Map<string, Runtime>();
  return () => {
    const credentials = invocationCredentials.getStore();
    const container = credentials?.accessKeyId ?? '';
    let runtime = built.get(container);
    if (runtime === undefined) {
      const config = readConfig();
      // In Lambda: the SDK's default chain. In `plgate local`: the invocation's role credentials.
      const clients = options.clients(credentials === undefined ? {} : { credentials });
      for (const client of Object.values(clients)) traced(client);
      runtime = options.build(clients, config);
      built.set(container, runtime);
    }
    return runtime;
  };
}
