/**
 * The console over `plgate local`'s own gate: its tables, the provider's credentials, the
 * cloud's edge port; with `fleet` (a hub's settings, as its functions have them), its members'
 * requests and the Fleet page, reached with the same credentials.
 */
import { withFleetMembers } from '../../cli/fleet-members.ts';
import { callerArn } from '../../functions/aws/caller-identity.ts';
import { createClients } from '../../functions/aws/clients.ts';
import type { FleetSettings, GateConfig } from '../../functions/shared/config.ts';
import { PROVIDER_CREDENTIALS } from '../../local/provider-credentials.ts';
import { type RunningConsole, startConsole } from './server.ts';

export async function startLocalConsole(options: {
  /** The local cloud's edge URL. */
  endpoint: string;
  region: string;
  config: GateConfig;
  fleet?: FleetSettings;
  port?: number;
  log?: (line: string) => void;
}): Promise<RunningConsole> {
  const clients = createClients({
    endpoint: options.endpoint,
    region: options.region,
    credentials: PROVIDER_CREDENTIALS,
  });
  const target = withFleetMembers(
    {
      config: options.config,
      clients,
      local: true,
      region: options.region,
      close: () => {
        for (const client of Object.values(clients)) client.destroy();
      },
    },
    options.fleet,
    {
      sessionName: 'plgate-console',
      clientOptions: { endpoint: options.endpoint, credentials: PROVIDER_CREDENTIALS },
    },
  );
  try {
    // The local cloud's STS names the provider's key (this process's SDK defaults may point elsewhere).
    const actor = await callerArn({
      region: options.region,
      credentials: async () => PROVIDER_CREDENTIALS,
      local: true,
      endpoint: options.endpoint,
    });
    const running = await startConsole({
      target,
      region: options.region,
      actor,
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.log ? { log: options.log } : {}),
    });
    return {
      ...running,
      stop: async () => {
        await running.stop();
        target.close();
      },
    };
  } catch (error) {
    target.close();
    throw error;
  }
}
