import { describe, expect, it } from 'vitest';
import { InvalidRouteKeyError, parseRouteKey, selectRoute } from '../../../../local/apigateway/route-keys.ts';

const KEYS = [
  'POST /register',
  'GET /pets',
  'GET /pets/{petId}',
  'GET /pets/dog',
  'ANY /pets/{petId}',
  'DELETE /pets/{petId}',
  'GET /files/{proxy+}',
  'ANY /{proxy+}',
  '$default',
];
const routes = KEYS.map((key) => ({ name: key, key: parseRouteKey(key) }));
const onlyExact = ['POST /register'].map((key) => ({ name: key, key: parseRouteKey(key) }));

describe('HTTP API route selection', () => {
  const cases: Array<[string, string, string | undefined, Record<string, string> | undefined]> = [
    ['POST', '/register', 'POST /register', undefined],
    ['GET', '/pets', 'GET /pets', undefined],
    ['GET', '/pets/dog', 'GET /pets/dog', undefined],
    ['GET', '/pets/7', 'GET /pets/{petId}', { petId: '7' }],
    ['DELETE', '/pets/7', 'DELETE /pets/{petId}', { petId: '7' }],
    ['PUT', '/pets/7', 'ANY /pets/{petId}', { petId: '7' }],
    ['GET', '/files/a/b/c.txt', 'GET /files/{proxy+}', { proxy: 'a/b/c.txt' }],
    ['GET', '/pets/7/toys', 'ANY /{proxy+}', { proxy: 'pets/7/toys' }],
    ['GET', '/pets/a%20b', 'GET /pets/{petId}', { petId: 'a b' }],
    ['GET', '/register', 'ANY /{proxy+}', { proxy: 'register' }],
    ['GET', '/', '$default', undefined],
  ];

  it.each(cases)('%s %s takes %s', (method, path, expected, parameters) => {
    // Act
    const match = selectRoute(routes, method, path);
    // Assess
    expect(match?.route.name).toBe(expected);
    expect(match?.pathParameters).toEqual(parameters);
  });

  it('answers no route when nothing matches and there is no $default', () => {
    expect(selectRoute(onlyExact, 'GET', '/register')).toBeUndefined();
    expect(selectRoute(onlyExact, 'POST', '/register/x')).toBeUndefined();
  });

  const invalid: Array<[string, string]> = [
    ['register', "is not '$default' or 'METHOD /path'"],
    ['FETCH /x', 'is not an HTTP method'],
    ['GET /a//b', 'empty path segment'],
    ['GET /{proxy+}/x', 'must be the last segment'],
    ['GET /a{b}', 'is not a path variable'],
  ];

  it.each(invalid)('refuses %s', (key, reason) => {
    expect(() => parseRouteKey(key)).toThrow(InvalidRouteKeyError);
    expect(() => parseRouteKey(key)).toThrow(reason);
  });
});
