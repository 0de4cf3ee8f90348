/**
 * An HTTP API as a template makes it (API, Lambda proxy integration, routes, stages with
 * throttling), served over real HTTP on its own and called with fetch, in front of a fake
 * Lambda that records what API Gateway would send it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiGatewayService, localExecuteApiUrl } from '../../../local/apigateway/service.ts';
import { MovableClock } from '../../../local/clock.ts';
import type { ResourceProvider } from '../../../local/service.ts';
import { RecordingInvoker, resourceRequest, testStack } from '../../support/service-fakes.ts';
import { type ServiceServer, startServiceServer } from '../../support/service-server.ts';

const ACCOUNT = '000000000000';
const REGION = 'eu-west-1';
const stack = testStack(ACCOUNT, REGION);
const REGISTER = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:register`;

describe('HTTP API from a template', () => {
  let invoker: RecordingInvoker;
  let service: ApiGatewayService;
  let server: ServiceServer;
  const log: string[] = [];

  const provider = (type: string): ResourceProvider => {
    const found = service.resources.find((resource) => resource.type === type);
    if (found === undefined) throw new Error(`no provider for ${type}`);
    return found;
  };

  /** An API with `POST /register` and `GET /items/{id}` to the register function, on `stageName`. */
  async function registerApi(stage: Record<string, unknown> = { StageName: '$default', AutoDeploy: true }) {
    const api = await provider('AWS::ApiGatewayV2::Api').create(
      resourceRequest(stack, 'Api', { Name: 'register', ProtocolType: 'HTTP' }),
    );
    const integration = await provider('AWS::ApiGatewayV2::Integration').create(
      resourceRequest(stack, 'Integration', {
        ApiId: api.physicalId,
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: REGISTER,
        PayloadFormatVersion: '2.0',
      }),
    );
    for (const routeKey of ['POST /register', 'GET /items/{id}']) {
      await provider('AWS::ApiGatewayV2::Route').create(
        resourceRequest(stack, 'Route', {
          ApiId: api.physicalId,
          RouteKey: routeKey,
          AuthorizationType: 'NONE',
          Target: `integrations/${integration.physicalId}`,
        }),
      );
    }
    await provider('AWS::ApiGatewayV2::Stage').create(
      resourceRequest(stack, 'Stage', { ApiId: api.physicalId, ...stage }),
    );
    return api;
  }

  const url = (api: { attributes: Record<string, unknown> }, path: string) => {
    const local = localExecuteApiUrl(`${String(api.attributes.ApiEndpoint)}${path}`, server.endpoint);
    if (local === undefined) throw new Error(`not an API endpoint: ${String(api.attributes.ApiEndpoint)}`);
    return local;
  };

  beforeEach(async () => {
    invoker = new RecordingInvoker();
    service = new ApiGatewayService({
      clock: new MovableClock(),
      log: (line) => log.push(line),
      functions: () => invoker,
    });
    server = await startServiceServer(service, ACCOUNT);
  });

  afterEach(async () => {
    await server.close();
  });

  it('gives the API id as Ref and its real endpoint, which maps to the local URL', async () => {
    const api = await registerApi();
    expect(api.physicalId).toMatch(/^[a-z0-9]{10}$/);
    expect(api.attributes).toEqual({
      ApiId: api.physicalId,
      ApiEndpoint: `https://${api.physicalId}.execute-api.${REGION}.amazonaws.com`,
    });
    expect(url(api, '/register')).toBe(`${server.endpoint}/_aws/execute-api/${api.physicalId}/register`);
    expect(localExecuteApiUrl('https://example.com/x', server.endpoint)).toBeUndefined();
  });

  it('sends the payload 2.0 event as apigateway.amazonaws.com and answers the function’s result', async () => {
    // Prepare
    const api = await registerApi();
    invoker.results.set(REGISTER, {
      ok: true,
      payload: {
        statusCode: 201,
        headers: { 'Content-Type': 'application/json', 'X-Registered': 'yes' },
        cookies: ['a=1; Path=/', 'b=2; Path=/'],
        body: '{"registered":true}',
      },
    });
    // Act
    const response = await fetch(`${url(api, '/register')}?invite=abc&invite=def`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: 'session=s1', 'user-agent': 'plgate-test' },
      body: JSON.stringify({ code: 'INVITE' }),
    });
    // Assess
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ registered: true });
    expect(response.headers.get('x-registered')).toBe('yes');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(response.headers.get('apigw-requestid')).toMatch(/.+/);
    expect(invoker.calls).toHaveLength(1);
    expect(invoker.calls[0]).toMatchObject({
      mode: 'sync',
      functionArn: REGISTER,
      source: {
        kind: 'service',
        principal: 'apigateway.amazonaws.com',
        sourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${api.physicalId}/$default/POST/register`,
        sourceAccount: ACCOUNT,
      },
      event: {
        version: '2.0',
        routeKey: 'POST /register',
        rawPath: '/register',
        rawQueryString: 'invite=abc&invite=def',
        cookies: ['session=s1'],
        queryStringParameters: { invite: 'abc,def' },
        headers: { 'content-type': 'application/json', 'user-agent': 'plgate-test' },
        requestContext: {
          accountId: ACCOUNT,
          apiId: api.physicalId,
          stage: '$default',
          routeKey: 'POST /register',
          http: { method: 'POST', path: '/register', sourceIp: '127.0.0.1', userAgent: 'plgate-test' },
          requestId: response.headers.get('apigw-requestid'),
        },
        body: '{"code":"INVITE"}',
        isBase64Encoded: false,
      },
    });
  });

  it('answers 404 without a route, 500 when the invoke is refused or the function fails', async () => {
    // Prepare
    const api = await registerApi();
    // Act / Assess: no route.
    const missing = await fetch(url(api, '/nothing'), { method: 'GET' });
    expect([missing.status, await missing.json()]).toEqual([404, { message: 'Not Found' }]);
    const wrongMethod = await fetch(url(api, '/register'), { method: 'GET' });
    expect(wrongMethod.status).toBe(404);
    // A function error.
    invoker.results.set(REGISTER, { ok: false, errorType: 'Error', errorMessage: 'boom' });
    const failed = await fetch(url(api, '/register'), { method: 'POST', body: '{}' });
    expect([failed.status, await failed.json()]).toEqual([500, { message: 'Internal Server Error' }]);
    // No permission lets API Gateway invoke it.
    invoker.denied.add(REGISTER);
    const denied = await fetch(url(api, '/register'), { method: 'POST', body: '{}' });
    expect([denied.status, await denied.json()]).toEqual([500, { message: 'Internal Server Error' }]);
    expect(log.some((line) => line.includes('InvokeDeniedError'))).toBe(true);
  });

  it('serves a named stage under its name, with path parameters, and a result without statusCode as JSON', async () => {
    // Prepare
    const api = await registerApi({ StageName: 'prod' });
    invoker.results.set(REGISTER, { ok: true, payload: { item: 7 } });
    // Act
    const response = await fetch(url(api, '/prod/items/7'));
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ item: 7 });
    expect(invoker.calls[0]?.event).toMatchObject({
      routeKey: 'GET /items/{id}',
      rawPath: '/prod/items/7',
      pathParameters: { id: '7' },
      requestContext: { stage: 'prod', http: { path: '/prod/items/7' } },
    });
    expect(invoker.calls[0]?.source).toMatchObject({
      sourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${api.physicalId}/prod/GET/items/7`,
    });
    // No $default stage: the path without a stage finds nothing.
    expect((await fetch(url(api, '/items/7'))).status).toBe(404);
  });

  it('throttles a stage: burst 2, rate 1, the third request at once is 429', async () => {
    // Prepare
    const api = await registerApi({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 2, ThrottlingRateLimit: 1 },
    });
    invoker.results.set(REGISTER, { ok: true, payload: { statusCode: 200, body: 'ok' } });
    // Act
    const responses = await Promise.all(
      [1, 2, 3].map(() => fetch(url(api, '/register'), { method: 'POST', body: '{}' })),
    );
    // Assess
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 200, 429]);
    const throttled = responses.find((response) => response.status === 429);
    expect(await throttled?.json()).toEqual({ message: 'Too Many Requests' });
    expect(invoker.calls).toHaveLength(2);
  });

  it('refuses what it does not serve, naming the field', async () => {
    await expect(
      provider('AWS::ApiGatewayV2::Api').create(
        resourceRequest(stack, 'Ws', { Name: 'ws', ProtocolType: 'WEBSOCKET' }),
      ),
    ).rejects.toThrow('ProtocolType: "WEBSOCKET" is not served by the local cloud');
    const api = await registerApi();
    await expect(
      provider('AWS::ApiGatewayV2::Route').create(
        resourceRequest(stack, 'R', { ApiId: api.physicalId, RouteKey: 'GET /x', AuthorizationType: 'JWT' }),
      ),
    ).rejects.toThrow('AuthorizationType: "JWT"');
    await expect(
      provider('AWS::ApiGatewayV2::Integration').create(
        resourceRequest(stack, 'I', {
          ApiId: api.physicalId,
          IntegrationType: 'AWS_PROXY',
          IntegrationUri: REGISTER,
          PayloadFormatVersion: '1.0',
        }),
      ),
    ).rejects.toThrow('PayloadFormatVersion: "1.0"');
  });

  it('keeps its APIs across a snapshot and restore', async () => {
    // Prepare
    const api = await registerApi();
    const snapshot = JSON.parse(JSON.stringify(service.snapshot()));
    await server.close();
    service = new ApiGatewayService({ clock: new MovableClock(), log: () => {}, functions: () => invoker });
    server = await startServiceServer(service, ACCOUNT);
    // Act
    service.restore(snapshot);
    invoker.results.set(REGISTER, { ok: true, payload: { statusCode: 204 } });
    const response = await fetch(url(api, '/register'), { method: 'POST', body: '{}' });
    // Assess
    expect(response.status).toBe(204);
  });
});
