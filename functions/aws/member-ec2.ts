/**
 * The EC2 of each fleet member: one client per member account and region, signed with the
 * spoke role's credentials (MemberCredentials), and one endpoint-services adapter per member
 * region paced by that region's bucket (MemberPacing) and stamping its connections with the
 * member's account and region. Built once per container, like the gate's other clients.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import type { InitializeMiddleware, MetadataBearer } from '@smithy/types';
import { errorCode } from './aws-errors.ts';
import { type ClientOptions, clientConfig } from './client-config.ts';
import { Ec2EndpointServices, type Ec2EndpointServicesOptions } from './endpoint-services.ts';
import type { MemberCredentials } from './member-credentials.ts';
import type { MemberPacing } from './member-pacing.ts';
import { COUNT_THROTTLED_MIDDLEWARE, countThrottled, type MemberThrottles } from './member-throttles.ts';

export interface MemberEc2Options {
  credentials: MemberCredentials;
  pacing: MemberPacing;
  /** Where each throttled attempt in a member region is counted. */
  throttles?: Pick<MemberThrottles, 'note'>;
  /** Endpoint and retry settings (the local cloud's edge); region and credentials are the member's. */
  clientOptions?: Omit<ClientOptions, 'region' | 'credentials'>;
  /** Options every member's adapter is built with (logger, retries, batch size). */
  endpointServices?: Omit<Ec2EndpointServicesOptions, 'limiter' | 'place' | 'requestsPerSecond'>;
}

/**
 * EC2's answers to credentials it no longer honours (a session of a deleted or replaced role,
 * an expired or unknown token) or to a call they may not make: the cached session is dropped.
 */
const REFUSED_CREDENTIALS = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'InvalidClientTokenId',
  'ExpiredToken',
  'RequestExpired',
]);

/** A refused session younger than this is kept: a member that only lacks a permission costs one AssumeRole per 5 minutes at most. */
export const REASSUME_AFTER_REFUSAL_MS = 5 * 60_000;

export const FORGET_REFUSED_MIDDLEWARE = 'forgetRefusedMemberCredentials';

/** The EC2 client middleware that drops a member region's session when EC2 refuses it (after the SDK's retries). */
export function forgetRefusedCredentials(
  credentials: Pick<MemberCredentials, 'forgetRefused'>,
  account: string,
  region: string,
): InitializeMiddleware<object, MetadataBearer> {
  return (next) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      if (REFUSED_CREDENTIALS.has(errorCode(error) ?? ''))
        credentials.forgetRefused(account, region, REASSUME_AFTER_REFUSAL_MS);
      throw error;
    }
  };
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
        // MemberCredentials is the cache: it renews before expiry and forgets a refused session.
        // The SDK's own memo would keep a forgotten session until 5 minutes before it expires,
        // so the client is told each one is due for renewal and asks on every request (a map
        // lookup while the session lasts).
        credentials: async () => ({
          ...(await credentials.credentialsFor(account, region)),
          expiration: new Date(Date.now()),
        }),
      });
      client.middlewareStack.add(forgetRefusedCredentials(credentials, account, region), {
        step: 'initialize',
        name: FORGET_REFUSED_MIDDLEWARE,
      });
      if (this.#options.throttles !== undefined)
        client.middlewareStack.add(countThrottled(this.#options.throttles, { account, region }), {
          step: 'deserialize',
          // Outside the deserializer, which turns EC2's answer into the error this looks at.
          priority: 'high',
          name: COUNT_THROTTLED_MIDDLEWARE,
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
