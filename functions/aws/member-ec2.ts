/**
 * The EC2 of each fleet member: one client per member account and region, signed with the
 * spoke role's credentials (MemberCredentials), and one endpoint-services adapter per member
 * region paced by that region's bucket (MemberPacing) and stamping its connections with the
 * member's account and region. Built once per container, like the gate's other clients.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { type ClientOptions, clientConfig } from './client-config.ts';
import { Ec2EndpointServices, type Ec2EndpointServicesOptions } from './endpoint-services.ts';
import type { MemberCredentials } from './member-credentials.ts';
import type { MemberPacing } from './member-pacing.ts';

export interface MemberEc2Options {
  credentials: MemberCredentials;
  pacing: MemberPacing;
  /** Endpoint and retry settings (the local cloud's edge); region and credentials are the member's. */
  clientOptions?: Omit<ClientOptions, 'region' | 'credentials'>;
  /** Options every member's adapter is built with (logger, retries, batch size). */
  endpointServices?: Omit<Ec2EndpointServicesOptions, 'limiter' | 'place' | 'requestsPerSecond'>;
}

export class MemberEc2 {
  readonly #options: MemberEc2Options;
  readonly #clients = new Map<string, EC2Client>();
  readonly #adapters = new Map<string, Ec2EndpointServices>();

  constructor(options: MemberEc2Options) {
    this.#options = options;
  }

  /** The member region's EC2 client; its credentials are fetched (and renewed) as calls need them. */
  clientFor(account: string, region: string): EC2Client {
    const key = `${account}:${region}`;
    let client = this.#clients.get(key);
    if (client === undefined) {
      const { credentials, clientOptions = {} } = this.#options;
      client = new EC2Client({
        ...clientConfig({ ...clientOptions, region }, process.env, 'adaptive'),
        credentials: () => credentials.credentialsFor(account, region),
      });
      this.#clients.set(key, client);
    }
    return client;
  }

  /** Closes every member's client (a command's or the console's end; a container keeps them). */
  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
    this.#adapters.clear();
  }

  /** The member region's endpoint services, as the gate's ports see them. */
  endpointServicesFor(account: string, region: string): Ec2EndpointServices {
    const key = `${account}:${region}`;
    let adapter = this.#adapters.get(key);
    if (adapter === undefined) {
      adapter = new Ec2EndpointServices(this.clientFor(account, region), {
        ...this.#options.endpointServices,
        limiter: this.#options.pacing.limiterFor(account, region),
        place: { account, region },
      });
      this.#adapters.set(key, adapter);
    }
    return adapter;
  }
}
