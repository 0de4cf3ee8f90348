/**
 * API Gateway HTTP APIs as one service of the local cloud. An API's stages are served on
 * the edge port under `/_aws/execute-api/{apiId}/{path}` for the `$default` stage and
 * `/_aws/execute-api/{apiId}/{stage}/{path}` for a named one: the same path that follows
 * `https://{apiId}.execute-api.{region}.amazonaws.com` on AWS (`localExecuteApiUrl` maps
 * one to the other). A request takes its route, passes its stage's throttling, and goes to
 * the route's Lambda proxy integration as `apigateway.amazonaws.com` (the function's
 * permission must let it), answered as API Gateway answers.
 */
import type {
  EdgeRequest,
  EdgeResponse,
  FunctionInvoker,
  LocalClock,
  LocalService,
  ResourceProvider,
} from '../service.ts';
import { type HttpApi, type HttpApiSnapshot, HttpApis, type Stage } from './http-apis.ts';
import { apiRequestId, type HttpAnswer, messageAnswer, proxyEventV2, proxyResultV2 } from './lambda-proxy.ts';
import { httpApiResources } from './resources.ts';
import { selectRoute } from './route-keys.ts';

export const EXECUTE_API_PREFIX = '/_aws/execute-api/';

/**
 * The local URL of an API's real URL: `https://ID.execute-api.REGION.amazonaws.com/x` →
 * `${endpoint}/_aws/execute-api/ID/x`; undefined for any other URL.
 */
export function localExecuteApiUrl(url: string, endpoint: string): string | undefined {
  const match = /^https:\/\/([a-z0-9]{10})\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\/.*)?$/.exec(url);
  if (match === null) return undefined;
  const [, id = '', rest = ''] = match;
  return `${endpoint.replace(/\/$/, '')}${EXECUTE_API_PREFIX}${id}${rest === '/' ? '' : rest}`;
}

export interface ApiGatewayServiceOptions {
  clock: LocalClock;
  log: (line: string) => void;
  functions(): FunctionInvoker;
}

const toResponse = (answer: HttpAnswer): EdgeResponse => ({
  status: answer.status,
  headers: answer.headers,
  body: answer.body,
});

export class ApiGatewayService implements LocalService {
  readonly name = 'execute-api';
  readonly apis = new HttpApis();
  readonly resources: readonly ResourceProvider[] = httpApiResources(this.apis);

  constructor(private readonly options: ApiGatewayServiceOptions) {}

  matches(request: EdgeRequest): boolean {
    return request.url.pathname.startsWith(EXECUTE_API_PREFIX);
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    const requestId = apiRequestId();
    const notFound = toResponse(messageAnswer(404, 'Not Found', requestId));
    const rest = request.url.pathname.slice(EXECUTE_API_PREFIX.length);
    const slash = rest.indexOf('/');
    const apiId = slash < 0 ? rest : rest.slice(0, slash);
    const apiPath = slash < 0 ? '/' : rest.slice(slash);
    const api = this.apis.get(apiId);
    if (api === undefined) return notFound;
    if (api.disableExecuteApiEndpoint) return toResponse(messageAnswer(403, 'Forbidden', requestId));
    const staged = stageOf(api, apiPath);
    if (staged === undefined) return notFound;
    const { stage, path } = staged;
    const method = request.method.toUpperCase();
    const match = selectRoute([...api.routes.values()], method, path);
    if (match === undefined) return notFound;
    const { route, pathParameters } = match;
    const now = this.options.clock.now();
    if (!this.apis.admit(api, stage, route.routeKey, now))
      return toResponse(messageAnswer(429, 'Too Many Requests', requestId));
    const integration =
      route.integrationId === undefined ? undefined : api.integrations.get(route.integrationId);
    if (integration === undefined) return notFound;
    const event = proxyEventV2(
      {
        method,
        rawPath: apiPath,
        rawQueryString: request.url.search.replace(/^\?/, ''),
        headers: request.headers,
        body: request.body,
        sourceIp: sourceIpOf(request),
      },
      {
        accountId: api.account,
        apiId: api.id,
        region: api.region,
        routeKey: route.routeKey,
        stage: stage.name,
        pathParameters,
        now,
      },
    );
    event.requestContext.requestId = requestId;
    const sourceArn = `arn:aws:execute-api:${api.region}:${api.account}:${api.id}/${stage.name}/${method}${path}`;
    try {
      const result = await this.options.functions().invoke(integration.functionArn, event, {
        kind: 'service',
        principal: 'apigateway.amazonaws.com',
        sourceArn,
        sourceAccount: api.account,
      });
      if (!result.ok) {
        this.options.log(
          `execute-api ${api.id} ${route.routeKey}: function error ${result.errorType}: ${result.errorMessage}`,
        );
        return toResponse(messageAnswer(500, 'Internal Server Error', requestId));
      }
      return toResponse(proxyResultV2(result.payload, requestId));
    } catch (error) {
      // A refused invoke (no permission) or a missing function: API Gateway answers 500.
      this.options.log(
        `execute-api ${api.id} ${route.routeKey}: integration failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      );
      return toResponse(messageAnswer(500, 'Internal Server Error', requestId));
    }
  }

  snapshot(): { apis: HttpApiSnapshot[] } {
    return { apis: this.apis.snapshot() };
  }

  restore(snapshot: unknown): void {
    const apis =
      typeof snapshot === 'object' && snapshot !== null ? (snapshot as { apis?: unknown }).apis : undefined;
    if (!Array.isArray(apis))
      throw new Error(`execute-api snapshot: apis is not a list, got ${JSON.stringify(snapshot)}`);
    this.apis.restore(apis as HttpApiSnapshot[]);
  }
}

/** The stage a path is for: a named stage by its first segment, else `$default`. */
function stageOf(api: HttpApi, apiPath: string): { stage: Stage; path: string } | undefined {
  const [, first = ''] = apiPath.split('/');
  const named = first === '$default' ? undefined : api.stages.get(first);
  if (named !== undefined) {
    const path = apiPath.slice(first.length + 1);
    return { stage: named, path: path === '' ? '/' : path };
  }
  const fallback = api.stages.get('$default');
  return fallback === undefined ? undefined : { stage: fallback, path: apiPath };
}

/** The client's address: the edge port sees loopback clients; a proxy in front says who in X-Forwarded-For. */
function sourceIpOf(request: EdgeRequest): string {
  const forwarded = request.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first === undefined || first === '' ? '127.0.0.1' : first;
}
