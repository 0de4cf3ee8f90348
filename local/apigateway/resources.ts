/**
 * The CloudFormation resource types of HTTP APIs: `AWS::ApiGatewayV2::Api` (HTTP only; Ref =
 * the API id; ApiEndpoint, ApiId), `::Integration` (AWS_PROXY to a Lambda function, payload
 * 2.0; Ref = its id), `::Route` (AuthorizationType NONE; Ref = its id) and `::Stage` (Ref =
 * its name; DefaultRouteSettings and RouteSettings throttling). Anything the local cloud does
 * not serve is refused, naming the field and the value.
 */
import type { CreatedResource, ResourceProvider, ResourceRequest } from '../service.ts';
import { apiEndpointOf, type HttpApi, type HttpApis, newId, type Stage, type Throttle } from './http-apis.ts';
import { InvalidRouteKeyError, parseRouteKey } from './route-keys.ts';

export class InvalidApiResourceError extends Error {
  override name = 'InvalidApiResourceError';
}

function bad(field: string, value: unknown, why: string): never {
  throw new InvalidApiResourceError(`${field}: ${JSON.stringify(value)} ${why}`);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function requiredString(properties: Record<string, unknown>, field: string): string {
  const value = properties[field];
  if (typeof value !== 'string' || value === '') bad(field, value, 'is required as a non-empty string');
  return value;
}

function apiOf(apis: HttpApis, properties: Record<string, unknown>): HttpApi {
  const id = requiredString(properties, 'ApiId');
  const api = apis.get(id);
  if (api === undefined) bad('ApiId', id, 'names no HTTP API');
  return api;
}

const boolean = (value: unknown, field: string, fallback: boolean): boolean => {
  if (value === undefined || value === null) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  bad(field, value, 'is not true or false');
};

const number = (value: unknown, field: string): number | undefined => {
  if (value === undefined || value === null) return undefined;
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0)
    bad(field, value, 'is not a number >= 0');
  return parsed;
};

/** ThrottlingBurstLimit / ThrottlingRateLimit of a route settings object; undefined when neither is set. */
function throttleOf(settings: unknown, field: string): Throttle | undefined {
  if (settings === undefined || settings === null) return undefined;
  if (!isObject(settings)) bad(field, settings, 'is not an object');
  const burst = number(settings.ThrottlingBurstLimit, `${field}.ThrottlingBurstLimit`);
  const rate = number(settings.ThrottlingRateLimit, `${field}.ThrottlingRateLimit`);
  if (burst === undefined && rate === undefined) return undefined;
  if (burst !== undefined && !Number.isInteger(burst))
    bad(`${field}.ThrottlingBurstLimit`, burst, 'is not a whole number');
  // API Gateway's account-level defaults fill in the one not given.
  return { burst: burst ?? 5000, rate: rate ?? 10_000 };
}

/** A function ARN, or the `arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations` form. */
function functionArnOf(uri: unknown): string {
  if (typeof uri !== 'string') bad('IntegrationUri', uri, 'is required as a Lambda function ARN');
  const wrapped =
    /^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path\/2015-03-31\/functions\/(.+)\/invocations$/.exec(uri);
  const arn = wrapped?.[1] ?? uri;
  if (!/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[^:]+(:[^:]+)?$/.test(arn))
    bad(
      'IntegrationUri',
      uri,
      'is not a Lambda function ARN: the local cloud serves Lambda proxy integrations only',
    );
  return arn;
}

function apiResource(apis: HttpApis): ResourceProvider {
  const check = (properties: Record<string, unknown>): { name: string; disable: boolean } => {
    const protocol = properties.ProtocolType;
    if (protocol !== 'HTTP')
      bad(
        'ProtocolType',
        protocol,
        'is not served by the local cloud: only HTTP APIs (ProtocolType HTTP) are',
      );
    for (const field of ['Body', 'BodyS3Location', 'Target', 'RouteKey', 'CredentialsArn']) {
      if (properties[field] !== undefined)
        bad(
          field,
          properties[field],
          'is not served by the local cloud: define routes and integrations as resources',
        );
    }
    return {
      name: requiredString(properties, 'Name'),
      disable: boolean(properties.DisableExecuteApiEndpoint, 'DisableExecuteApiEndpoint', false),
    };
  };
  const created = (api: HttpApi): CreatedResource => ({
    physicalId: api.id,
    attributes: { ApiEndpoint: apiEndpointOf(api), ApiId: api.id },
  });
  return {
    type: 'AWS::ApiGatewayV2::Api',
    async create(request) {
      const { name, disable } = check(request.properties);
      const api: HttpApi = {
        id: newId(10),
        name,
        account: request.stack.account,
        region: request.stack.region,
        disableExecuteApiEndpoint: disable,
        integrations: new Map(),
        routes: new Map(),
        stages: new Map(),
      };
      apis.add(api);
      return created(api);
    },
    async update(request) {
      const api = apis.get(request.physicalId);
      if (api === undefined) return 'replace';
      const { name, disable } = check(request.properties);
      api.name = name;
      api.disableExecuteApiEndpoint = disable;
      return created(api);
    },
    async delete(request) {
      apis.remove(request.physicalId);
    },
  };
}

function integrationResource(apis: HttpApis): ResourceProvider {
  const check = (properties: Record<string, unknown>) => {
    const type = properties.IntegrationType;
    if (type !== 'AWS_PROXY')
      bad('IntegrationType', type, 'is not served by the local cloud: only AWS_PROXY (Lambda proxy) is');
    const version = properties.PayloadFormatVersion ?? '2.0';
    if (version !== '2.0')
      bad('PayloadFormatVersion', version, 'is not served by the local cloud: only payload format 2.0 is');
    return { functionArn: functionArnOf(properties.IntegrationUri) };
  };
  return {
    type: 'AWS::ApiGatewayV2::Integration',
    async create(request) {
      const api = apiOf(apis, request.properties);
      const { functionArn } = check(request.properties);
      const id = newId(7);
      api.integrations.set(id, { id, functionArn, payloadFormatVersion: '2.0' });
      return { physicalId: id, attributes: { IntegrationId: id } };
    },
    async update(request) {
      const api = apiOf(apis, request.properties);
      const existing = api.integrations.get(request.physicalId);
      if (existing === undefined) return 'replace';
      existing.functionArn = check(request.properties).functionArn;
      return { physicalId: existing.id, attributes: { IntegrationId: existing.id } };
    },
    async delete(request) {
      const api = apis.get(String(request.properties.ApiId));
      api?.integrations.delete(request.physicalId);
    },
  };
}

function routeResource(apis: HttpApis): ResourceProvider {
  const check = (api: HttpApi, properties: Record<string, unknown>) => {
    const routeKey = requiredString(properties, 'RouteKey');
    let key: ReturnType<typeof parseRouteKey>;
    try {
      key = parseRouteKey(routeKey);
    } catch (error) {
      if (error instanceof InvalidRouteKeyError)
        throw new InvalidApiResourceError(error.message, { cause: error });
      throw error;
    }
    const authorization = properties.AuthorizationType ?? 'NONE';
    if (authorization !== 'NONE')
      bad('AuthorizationType', authorization, 'is not served by the local cloud: only NONE is');
    const target = properties.Target;
    let integrationId: string | undefined;
    if (target !== undefined && target !== null) {
      const match = typeof target === 'string' ? /^integrations\/([a-z0-9]+)$/.exec(target) : null;
      if (match === null) bad('Target', target, "is not 'integrations/ID'");
      integrationId = match[1];
      if (integrationId === undefined || !api.integrations.has(integrationId))
        bad('Target', target, `names no integration of API ${api.id}`);
    }
    return { routeKey, key, integrationId };
  };
  return {
    type: 'AWS::ApiGatewayV2::Route',
    async create(request) {
      const api = apiOf(apis, request.properties);
      const route = check(api, request.properties);
      if ([...api.routes.values()].some((existing) => existing.routeKey === route.routeKey))
        bad('RouteKey', route.routeKey, `already exists on API ${api.id}`);
      const id = newId(7);
      api.routes.set(id, { id, ...route });
      return { physicalId: id, attributes: { RouteId: id } };
    },
    async update(request) {
      const api = apiOf(apis, request.properties);
      if (!api.routes.has(request.physicalId)) return 'replace';
      api.routes.set(request.physicalId, { id: request.physicalId, ...check(api, request.properties) });
      return { physicalId: request.physicalId, attributes: { RouteId: request.physicalId } };
    },
    async delete(request) {
      apis.get(String(request.properties.ApiId))?.routes.delete(request.physicalId);
    },
  };
}

function stageResource(apis: HttpApis): ResourceProvider {
  const build = (request: ResourceRequest): Stage => {
    const name = requiredString(request.properties, 'StageName');
    if (name !== '$default' && !/^[A-Za-z0-9_-]{1,128}$/.test(name))
      bad('StageName', name, "is not '$default' or a stage name ([A-Za-z0-9_-]{1,128})");
    const routeSettings = request.properties.RouteSettings;
    if (routeSettings !== undefined && !isObject(routeSettings))
      bad('RouteSettings', routeSettings, 'is not an object of route key to settings');
    const routeThrottles: Record<string, Throttle> = {};
    for (const [routeKey, settings] of Object.entries(routeSettings ?? {})) {
      const throttle = throttleOf(settings, `RouteSettings.${routeKey}`);
      if (throttle !== undefined) routeThrottles[routeKey] = throttle;
    }
    return {
      name,
      autoDeploy: boolean(request.properties.AutoDeploy, 'AutoDeploy', false),
      throttle: throttleOf(request.properties.DefaultRouteSettings, 'DefaultRouteSettings'),
      routeThrottles,
    };
  };
  return {
    type: 'AWS::ApiGatewayV2::Stage',
    async create(request) {
      const api = apiOf(apis, request.properties);
      const stage = build(request);
      if (api.stages.has(stage.name)) bad('StageName', stage.name, `already exists on API ${api.id}`);
      api.stages.set(stage.name, stage);
      return { physicalId: stage.name, attributes: {} };
    },
    async update(request) {
      const api = apiOf(apis, request.properties);
      const stage = build(request);
      if (stage.name !== request.physicalId || !api.stages.has(stage.name)) return 'replace';
      api.stages.set(stage.name, stage);
      apis.resetThrottles(api.id, stage.name);
      return { physicalId: stage.name, attributes: {} };
    },
    async delete(request) {
      const api = apis.get(String(request.properties.ApiId));
      api?.stages.delete(request.physicalId);
      if (api !== undefined) apis.resetThrottles(api.id, request.physicalId);
    },
  };
}

export function httpApiResources(apis: HttpApis): ResourceProvider[] {
  return [apiResource(apis), integrationResource(apis), routeResource(apis), stageResource(apis)];
}
