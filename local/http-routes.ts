/**
 * HTTP routes on the edge port that stand in for an API Gateway HTTP API in front of a
 * Lambda (the register URL): the request becomes the payload-v2 event the function gets
 * in AWS, and its result becomes the response.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type RouteHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export class HttpRoutes {
  readonly #routes = new Map<string, RouteHandler>();

  /** Serves `POST path` with the handler until the returned function is called. */
  add(path: string, handler: RouteHandler): () => void {
    if (!path.startsWith('/') || path.startsWith('/_plgate/')) {
      throw new Error(`a route path starts with / and not /_plgate/, got "${path}"`);
    }
    this.#routes.set(path, handler);
    return () => {
      if (this.#routes.get(path) === handler) this.#routes.delete(path);
    };
  }

  has(path: string): boolean {
    return this.#routes.has(path);
  }

  async invoke(
    path: string,
    request: {
      method: string;
      headers: Record<string, string>;
      rawQueryString: string;
      body: string;
      sourceIp: string;
    },
  ): Promise<APIGatewayProxyStructuredResultV2> {
    const handler = this.#routes.get(path);
    if (handler === undefined) return { statusCode: 404, body: JSON.stringify({ message: 'Not Found' }) };
    const now = new Date();
    const event: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey: `POST ${path}`,
      rawPath: path,
      rawQueryString: request.rawQueryString,
      headers: request.headers,
      requestContext: {
        accountId: 'local',
        apiId: 'local',
        domainName: request.headers.host ?? 'localhost',
        domainPrefix: 'local',
        http: {
          method: request.method,
          path,
          protocol: 'HTTP/1.1',
          sourceIp: request.sourceIp,
          userAgent: request.headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey: `POST ${path}`,
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
      },
      body: request.body,
      isBase64Encoded: false,
    };
    try {
      return await handler(event);
    } catch {
      // What API Gateway answers when its Lambda integration fails; the function logs why.
      return {
        statusCode: 500,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'Internal Server Error' }),
      };
    }
  }
}
