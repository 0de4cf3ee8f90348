import { describe, expect, it } from 'vitest';
import { proxyEventV2, proxyResultV2, requestTime } from '../../../../local/apigateway/lambda-proxy.ts';
import { TokenBucket } from '../../../../local/apigateway/token-bucket.ts';

describe('payload 2.0 event', () => {
  it('is built as API Gateway builds it', () => {
    // Act
    const event = proxyEventV2(
      {
        method: 'POST',
        rawPath: '/register',
        rawQueryString: 'a=1&a=2&b=x%20y',
        headers: {
          'Content-Type': 'application/json',
          'user-agent': 'curl/8',
          cookie: 'session=abc; theme=dark',
          'x-forwarded-for': ['1.1.1.1', '2.2.2.2'],
        },
        body: '{"code":"x"}',
        sourceIp: '127.0.0.1',
      },
      {
        accountId: '000000000000',
        apiId: 'abcde12345',
        region: 'eu-west-1',
        routeKey: 'POST /register',
        stage: '$default',
        pathParameters: undefined,
        now: Date.parse('2020-03-12T19:03:58Z'),
      },
    );
    // Assess
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /register',
      rawPath: '/register',
      rawQueryString: 'a=1&a=2&b=x%20y',
      cookies: ['session=abc', 'theme=dark'],
      headers: {
        'content-type': 'application/json',
        'user-agent': 'curl/8',
        'x-forwarded-for': '1.1.1.1,2.2.2.2',
      },
      queryStringParameters: { a: '1,2', b: 'x y' },
      requestContext: {
        accountId: '000000000000',
        apiId: 'abcde12345',
        domainName: 'abcde12345.execute-api.eu-west-1.amazonaws.com',
        domainPrefix: 'abcde12345',
        http: {
          method: 'POST',
          path: '/register',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'curl/8',
        },
        routeKey: 'POST /register',
        stage: '$default',
        time: '12/Mar/2020:19:03:58 +0000',
        timeEpoch: Date.parse('2020-03-12T19:03:58Z'),
      },
      body: '{"code":"x"}',
      isBase64Encoded: false,
    });
    expect(event.headers.cookie).toBeUndefined();
    expect(event.pathParameters).toBeUndefined();
    expect(requestTime(Date.parse('2026-01-05T03:04:05Z'))).toBe('05/Jan/2026:03:04:05 +0000');
  });

  it('base64-encodes a body that is not text', () => {
    const event = proxyEventV2(
      {
        method: 'PUT',
        rawPath: '/blob',
        rawQueryString: '',
        headers: { 'content-type': 'application/octet-stream' },
        body: 'raw',
        sourceIp: '127.0.0.1',
      },
      {
        accountId: '1',
        apiId: 'a',
        region: 'us-east-1',
        routeKey: '$default',
        stage: '$default',
        pathParameters: undefined,
        now: 0,
      },
    );
    expect(event).toMatchObject({ body: Buffer.from('raw').toString('base64'), isBase64Encoded: true });
    expect(event.queryStringParameters).toBeUndefined();
  });
});

describe('payload 2.0 result', () => {
  const cases: Array<[string, unknown, number, Record<string, unknown>, string]> = [
    ['no statusCode: a JSON body', { ok: true }, 200, { 'content-type': 'application/json' }, '{"ok":true}'],
    ['a string without statusCode', 'hello', 200, { 'content-type': 'application/json' }, '"hello"'],
    [
      'status, headers and cookies',
      {
        statusCode: 201,
        headers: { 'X-Thing': 'a', 'Content-Type': 'text/plain' },
        cookies: ['a=1', 'b=2'],
        body: 'made',
      },
      201,
      { 'x-thing': 'a', 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] },
      'made',
    ],
    [
      'a base64 body',
      { statusCode: 200, body: Buffer.from('bin').toString('base64'), isBase64Encoded: true },
      200,
      {},
      'bin',
    ],
    ['a bad statusCode', { statusCode: 'x' }, 500, {}, '{"message":"Internal Server Error"}'],
    [
      'a body that is not a string',
      { statusCode: 200, body: { a: 1 } },
      500,
      {},
      '{"message":"Internal Server Error"}',
    ],
  ];

  it.each(cases)('%s', (_name, payload, status, headers, body) => {
    const answer = proxyResultV2(payload, 'req-1');
    expect(answer.status).toBe(status);
    expect(answer.headers).toMatchObject({ 'apigw-requestid': 'req-1', ...headers });
    expect(answer.body.toString('utf8')).toBe(body);
  });
});

describe('stage throttling', () => {
  it('lets a burst through, then refills at the rate', () => {
    // Prepare: burst 2, rate 1 per second.
    const bucket = new TokenBucket(2, 1, 0);
    // Act / Assess
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, false]);
    expect(bucket.take(999)).toBe(false);
    expect(bucket.take(1000)).toBe(true);
    expect(bucket.take(5000)).toBe(true);
    expect(bucket.take(5000)).toBe(true);
    expect(bucket.take(5000)).toBe(false);
  });

  it('blocks everything at burst 0', () => {
    expect(new TokenBucket(0, 100, 0).take(10_000)).toBe(false);
  });
});
