/**
 * The Lambda proxy integration of an HTTP API, payload format 2.0: the request as the
 * `APIGatewayProxyEventV2` API Gateway sends (headers lower-cased and repeated ones joined
 * by commas, cookies taken out of the headers, query parameters joined the same way, the
 * body base64-encoded unless it is text), and the function's result as API Gateway maps it
 * (a result without `statusCode` is a 200 JSON body; headers, cookies, base64 bodies).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface ProxyRequest {
  method: string;
  /** The path the client sent, stage included for a named stage. */
  rawPath: string;
  rawQueryString: string;
  headers: IncomingHttpHeaders;
  body: string;
  sourceIp: string;
}

export interface ProxyContext {
  accountId: string;
  apiId: string;
  region: string;
  routeKey: string;
  stage: string;
  pathParameters: Record<string, string> | undefined;
  now: number;
}

/** API Gateway's request id: 16 random bytes' worth of base64, as `apigw-requestid` shows it. */
export const apiRequestId = (): string => randomBytes(10).toString('base64');

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's `requestContext.time`. */
export function requestTime(epochMs: number): string {
  const date = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(
    date.getUTCHours(),
  )}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

const TEXT_TYPE = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

function joined(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : value;
}

export function proxyEventV2(request: ProxyRequest, context: ProxyContext): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    const text = joined(value);
    if (text === undefined) continue;
    if (name.toLowerCase() === 'cookie') {
      cookies = text
        .split(/;\s*/)
        .map((cookie) => cookie.trim())
        .filter((cookie) => cookie !== '');
      continue;
    }
    headers[name.toLowerCase()] = text;
  }
  const query = new URLSearchParams(request.rawQueryString);
  const queryStringParameters: Record<string, string> = {};
  for (const name of new Set(query.keys())) queryStringParameters[name] = query.getAll(name).join(',');
  const contentType = headers['content-type'];
  const text = contentType === undefined || TEXT_TYPE.test(contentType);
  const domainName = `${context.apiId}.execute-api.${context.region}.amazonaws.com`;
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: context.routeKey,
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
    ...(cookies === undefined ? {} : { cookies }),
    headers,
    ...(Object.keys(queryStringParameters).length === 0 ? {} : { queryStringParameters }),
    requestContext: {
      accountId: context.accountId,
      apiId: context.apiId,
      domainName,
      domainPrefix: context.apiId,
      http: {
        method: request.method,
        path: request.rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: apiRequestId(),
      routeKey: context.routeKey,
      stage: context.stage,
      time: requestTime(context.now),
      timeEpoch: context.now,
    },
    ...(context.pathParameters === undefined ? {} : { pathParameters: context.pathParameters }),
    isBase64Encoded: request.body !== '' && !text,
  };
  if (request.body !== '')
    event.body = text ? request.body : Buffer.from(request.body, 'utf8').toString('base64');
  return event;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export const messageAnswer = (status: number, message: string, requestId: string): HttpAnswer => ({
  status,
  headers: { 'content-type': 'application/json', 'apigw-requestid': requestId },
  body: Buffer.from(JSON.stringify({ message })),
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The function's result as API Gateway answers it; a malformed one is a 500, as on AWS. */
export function proxyResultV2(payload: unknown, requestId: string): HttpAnswer {
  if (!isObject(payload) || !('statusCode' in payload)) {
    return {
      status: 200,
      headers: { 'content-type': 'application/json', 'apigw-requestid': requestId },
      body: Buffer.from(JSON.stringify(payload ?? null)),
    };
  }
  const { statusCode, headers, cookies, body, isBase64Encoded } = payload;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599)
    return messageAnswer(500, 'Internal Server Error', requestId);
  const answer: HttpAnswer = {
    status: statusCode,
    headers: { 'apigw-requestid': requestId },
    body: Buffer.alloc(0),
  };
  if (headers !== undefined) {
    if (!isObject(headers)) return messageAnswer(500, 'Internal Server Error', requestId);
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
        return messageAnswer(500, 'Internal Server Error', requestId);
      answer.headers[name.toLowerCase()] = String(value);
    }
  }
  if (cookies !== undefined) {
    if (!Array.isArray(cookies) || !cookies.every((cookie) => typeof cookie === 'string'))
      return messageAnswer(500, 'Internal Server Error', requestId);
    answer.headers['set-cookie'] = cookies;
  }
  if (body !== undefined && body !== null) {
    if (typeof body !== 'string') return messageAnswer(500, 'Internal Server Error', requestId);
    answer.body = isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  }
  if (answer.headers['content-type'] === undefined && answer.body.length > 0)
    answer.headers['content-type'] = 'application/json';
  return answer;
}
