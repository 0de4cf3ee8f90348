/**
 * The HTTP APIs of the local cloud, as `AWS::ApiGatewayV2::Api`, `::Integration`, `::Route`
 * and `::Stage` resources make them: each API with its Lambda proxy integrations, its routes
 * and its stages (each stage with its throttling buckets).
 */
import { randomBytes } from 'node:crypto';
import { parseRouteKey, type RouteKey } from './route-keys.ts';
import { TokenBucket } from './token-bucket.ts';

export interface Integration {
  id: string;
  functionArn: string;
  payloadFormatVersion: '2.0';
}

export interface Route {
  id: string;
  routeKey: string;
  key: RouteKey;
  /** The integration id of `integrations/ID`; undefined for a route without a target. */
  integrationId: string | undefined;
}

export interface Throttle {
  burst: number;
  rate: number;
}

export interface Stage {
  name: string;
  autoDeploy: boolean;
  throttle: Throttle | undefined;
  /** RouteSettings: route key → its own limits. */
  routeThrottles: Record<string, Throttle>;
}

export interface HttpApi {
  id: string;
  name: string;
  account: string;
  region: string;
  disableExecuteApiEndpoint: boolean;
  integrations: Map<string, Integration>;
  routes: Map<string, Route>;
  stages: Map<string, Stage>;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A lowercase alphanumeric id as API Gateway makes them (10 for an API, 7 for its parts). */
export function newId(length: number): string {
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += ALPHABET.charAt(byte % ALPHABET.length);
  return id;
}

/** `https://ID.execute-api.REGION.amazonaws.com`, an API's real endpoint. */
export const apiEndpointOf = (api: Pick<HttpApi, 'id' | 'region'>): string =>
  `https://${api.id}.execute-api.${api.region}.amazonaws.com`;

/** Serialisable state of one API for `--data`. */
export interface HttpApiSnapshot {
  id: string;
  name: string;
  account: string;
  region: string;
  disableExecuteApiEndpoint: boolean;
  integrations: Integration[];
  routes: Array<Omit<Route, 'key'>>;
  stages: Stage[];
}

export class HttpApis {
  readonly #apis = new Map<string, HttpApi>();
  /** Throttling buckets by `apiId/stage/routeKey` (`*` for the stage's default). */
  readonly #buckets = new Map<string, TokenBucket>();

  add(api: HttpApi): void {
    this.#apis.set(api.id, api);
  }

  get(id: string): HttpApi | undefined {
    return this.#apis.get(id);
  }

  remove(id: string): void {
    this.#apis.delete(id);
    this.resetThrottles(id);
  }

  /** Forgets an API's (or one stage's) buckets: its limits changed. */
  resetThrottles(apiId: string, stage?: string): void {
    const prefix = stage === undefined ? `${apiId}/` : `${apiId}/${stage}/`;
    for (const key of [...this.#buckets.keys()]) if (key.startsWith(prefix)) this.#buckets.delete(key);
  }

  /** Whether the request may go on: false when its stage's (or route's) bucket is empty. */
  admit(api: HttpApi, stage: Stage, routeKey: string, now: number): boolean {
    const own = stage.routeThrottles[routeKey];
    const limits = own ?? stage.throttle;
    if (limits === undefined) return true;
    const key = `${api.id}/${stage.name}/${own === undefined ? '*' : routeKey}`;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(limits.burst, limits.rate, now);
      this.#buckets.set(key, bucket);
    }
    return bucket.take(now);
  }

  snapshot(): HttpApiSnapshot[] {
    return [...this.#apis.values()].map((api) => ({
      id: api.id,
      name: api.name,
      account: api.account,
      region: api.region,
      disableExecuteApiEndpoint: api.disableExecuteApiEndpoint,
      integrations: [...api.integrations.values()],
      routes: [...api.routes.values()].map(({ key: _key, ...route }) => route),
      stages: [...api.stages.values()],
    }));
  }

  restore(snapshot: readonly HttpApiSnapshot[]): void {
    this.#apis.clear();
    this.#buckets.clear();
    for (const api of snapshot) {
      this.#apis.set(api.id, {
        id: api.id,
        name: api.name,
        account: api.account,
        region: api.region,
        disableExecuteApiEndpoint: api.disableExecuteApiEndpoint,
        integrations: new Map(api.integrations.map((integration) => [integration.id, integration])),
        routes: new Map(
          api.routes.map((route) => [route.id, { ...route, key: parseRouteKey(route.routeKey) }]),
        ),
        stages: new Map(api.stages.map((stage) => [stage.name, stage])),
      });
    }
  }
}
