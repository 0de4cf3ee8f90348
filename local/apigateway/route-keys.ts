/**
 * HTTP API route keys (`POST /register`, `ANY /items/{id}`, `GET /files/{proxy+}`,
 * `$default`) and how API Gateway picks the route for a request: the most specific path
 * wins (a literal segment over a `{param}`, a `{param}` over a greedy `{proxy+}`), a route
 * for the request's method over `ANY`, and `$default` when nothing else matches.
 */

export class InvalidRouteKeyError extends Error {
  override name = 'InvalidRouteKeyError';
}

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'greedy'; name: string };

export type RouteKey = { kind: 'default' } | { kind: 'path'; method: string; segments: Segment[] };

const METHODS = new Set(['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

export function parseRouteKey(key: string): RouteKey {
  if (key === '$default') return { kind: 'default' };
  const match = /^([A-Z]+) (\/[^\s]*)$/.exec(key);
  if (match === null)
    throw new InvalidRouteKeyError(`RouteKey: '${key}' is not '$default' or 'METHOD /path'`);
  const [, method = '', path = ''] = match;
  if (!METHODS.has(method))
    throw new InvalidRouteKeyError(`RouteKey: '${key}': ${method} is not an HTTP method or ANY`);
  const parts = path === '/' ? [] : path.slice(1).split('/');
  const segments = parts.map((part, index): Segment => {
    if (part === '') throw new InvalidRouteKeyError(`RouteKey: '${key}' has an empty path segment`);
    const param = /^\{([A-Za-z0-9_.-]+)(\+?)\}$/.exec(part);
    if (param === null) {
      if (/[{}]/.test(part))
        throw new InvalidRouteKeyError(`RouteKey: '${key}': '${part}' is not a path variable`);
      return { kind: 'literal', value: part };
    }
    const name = param[1] ?? '';
    if (param[2] === '+') {
      if (index !== parts.length - 1)
        throw new InvalidRouteKeyError(`RouteKey: '${key}': a greedy path variable must be the last segment`);
      return { kind: 'greedy', name };
    }
    return { kind: 'param', name };
  });
  return { kind: 'path', method, segments };
}

export interface RouteMatch<T> {
  route: T;
  pathParameters: Record<string, string> | undefined;
}

const decode = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/** Ranks of a match, smaller is more specific: one per segment, then the method's. */
function matchPath(
  key: Extract<RouteKey, { kind: 'path' }>,
  method: string,
  parts: readonly string[],
): { ranks: number[]; parameters: Record<string, string> } | undefined {
  if (key.method !== 'ANY' && key.method !== method) return undefined;
  const ranks: number[] = [];
  const parameters: Record<string, string> = {};
  for (let index = 0; index < key.segments.length; index += 1) {
    const segment = key.segments[index];
    const part = parts[index];
    if (segment === undefined) return undefined;
    if (segment.kind === 'greedy') {
      if (part === undefined) return undefined;
      parameters[segment.name] = decode(parts.slice(index).join('/'));
      ranks.push(2);
      return { ranks: [...ranks, key.method === 'ANY' ? 1 : 0], parameters };
    }
    if (part === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (segment.value !== part) return undefined;
      ranks.push(0);
    } else {
      parameters[segment.name] = decode(part);
      ranks.push(1);
    }
  }
  if (parts.length !== key.segments.length) return undefined;
  return { ranks: [...ranks, key.method === 'ANY' ? 1 : 0], parameters };
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

/** The route a request takes, with its path parameters; undefined when none (a 404). */
export function selectRoute<T extends { key: RouteKey }>(
  routes: readonly T[],
  method: string,
  path: string,
): RouteMatch<T> | undefined {
  const parts = path === '/' || path === '' ? [] : path.replace(/^\//, '').split('/');
  let best: { route: T; ranks: number[]; parameters: Record<string, string> } | undefined;
  for (const route of routes) {
    if (route.key.kind !== 'path') continue;
    const found = matchPath(route.key, method.toUpperCase(), parts);
    if (found === undefined) continue;
    if (best === undefined || compareRanks(found.ranks, best.ranks) < 0) best = { route, ...found };
  }
  if (best !== undefined) {
    const parameters = Object.keys(best.parameters).length === 0 ? undefined : best.parameters;
    return { route: best.route, pathParameters: parameters };
  }
  const fallback = routes.find((route) => route.key.kind === 'default');
  return fallback === undefined ? undefined : { route: fallback, pathParameters: undefined };
}
