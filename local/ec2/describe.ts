/**
 * What every EC2 Describe* call shares: `Filter.N` semantics (filters AND,
 * values OR, `*` and `?` wildcards) and opaque, cursor-based `NextToken`s that
 * stay correct while resources are created or removed between pages.
 */
import { Ec2Error, ec2Errors } from './errors.ts';
import type { Tag } from './model.ts';

export interface Filter {
  name: string;
  values: string[];
}

/** The values a resource has for a filter name; undefined when the filter does not exist. */
export type FilterFields<T> = (name: string) => ((resource: T) => readonly string[]) | undefined;

function wildcard(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i] ?? '';
    if (char === '\\' && i + 1 < pattern.length) {
      i += 1;
      source += (pattern[i] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

/** Filter fields for tags: `tag:KEY`, `tag-key`, `tag-value`. */
export function tagFilterFields(name: string): ((tags: readonly Tag[]) => readonly string[]) | undefined {
  if (name.startsWith('tag:')) {
    const key = name.slice('tag:'.length);
    return (tags) => tags.filter((tag) => tag.key === key).map((tag) => tag.value);
  }
  if (name === 'tag-key') return (tags) => tags.map((tag) => tag.key);
  if (name === 'tag-value') return (tags) => tags.map((tag) => tag.value);
  return undefined;
}

export function applyFilters<T>(
  resources: readonly T[],
  filters: readonly Filter[],
  fields: FilterFields<T>,
): T[] {
  const compiled = filters.map((filter) => {
    const read = fields(filter.name);
    if (read === undefined)
      throw new Ec2Error('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
    if (filter.values.length === 0) {
      throw ec2Errors.missingParameter(`Filter value for '${filter.name}'`);
    }
    return { read, patterns: filter.values.map(wildcard) };
  });
  return resources.filter((resource) =>
    compiled.every(({ read, patterns }) =>
      read(resource).some((value) => patterns.some((p) => p.test(value))),
    ),
  );
}

export const MIN_RESULTS = 5;
export const MAX_RESULTS = 1000;

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

interface Cursor {
  scope: string;
  after: number;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ s: cursor.scope, a: cursor.after }), 'utf8').toString('base64url');
}

function decodeCursor(token: string, scope: string): Cursor {
  const invalid = new Ec2Error('InvalidPaginationToken', `The pagination token '${token}' is invalid`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (error) {
    throw new Ec2Error(invalid.code, invalid.message, 400, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || !('s' in parsed) || !('a' in parsed)) throw invalid;
  const { s, a } = parsed;
  if (s !== scope || typeof a !== 'number' || !Number.isInteger(a)) throw invalid;
  return { scope, after: a };
}

export function validateMaxResults(maxResults: number | undefined): void {
  if (maxResults !== undefined && (maxResults < MIN_RESULTS || maxResults > MAX_RESULTS)) {
    throw ec2Errors.invalidParameterValue(
      'MaxResults',
      String(maxResults),
      `Expecting a value between ${MIN_RESULTS} and ${MAX_RESULTS}.`,
    );
  }
}

/**
 * One page of `items`, which must be sorted by `position` ascending. The token
 * remembers the last position handed out, not an offset, so a resource created
 * or deleted between pages neither repeats nor hides another.
 */
export function paginate<T>(
  items: readonly T[],
  position: (item: T) => number,
  request: { maxResults: number | undefined; nextToken: string | undefined; scope: string },
): Page<T> {
  validateMaxResults(request.maxResults);
  const after =
    request.nextToken === undefined ? undefined : decodeCursor(request.nextToken, request.scope).after;
  const remaining = after === undefined ? [...items] : items.filter((item) => position(item) > after);
  const size = request.maxResults ?? MAX_RESULTS;
  const page = remaining.slice(0, size);
  const last = page.at(-1);
  if (remaining.length > size && last !== undefined) {
    return { items: page, nextToken: encodeCursor({ scope: request.scope, after: position(last) }) };
  }
  return { items: page };
}
