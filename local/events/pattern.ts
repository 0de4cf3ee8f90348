/**
 * EventBridge's event pattern language: a pattern is checked once when a rule is made
 * (`parseEventPattern`, which names the field that is wrong), then matched against every
 * event put on the rule's bus (`matchesPattern`). What it knows: exact values (strings,
 * numbers compared as numbers, booleans, null), `prefix`, `suffix` (each also with
 * `equals-ignore-case`), `equals-ignore-case`, `wildcard`, `anything-but` (a value, a list,
 * or a `prefix` / `suffix` / `equals-ignore-case` / `wildcard` inside it), `numeric`,
 * `exists`, `cidr`, `$or`, nested fields, and arrays in the event (an array matches when
 * any element does; objects inside arrays match when one element matches all of the
 * nested pattern).
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** What EventBridge answers `InvalidEventPatternException` with. */
export class InvalidEventPatternError extends Error {
  override name = 'InvalidEventPatternError';
}

type Scalar = string | number | boolean | null;

type Matcher =
  | { kind: 'exact'; value: Scalar }
  | { kind: 'prefix'; value: string; ignoreCase: boolean }
  | { kind: 'suffix'; value: string; ignoreCase: boolean }
  | { kind: 'equals-ignore-case'; value: string }
  | { kind: 'wildcard'; regex: RegExp }
  | { kind: 'anything-but'; inner: Matcher[] }
  | { kind: 'numeric'; bounds: Array<{ op: NumericOp; value: number }> }
  | { kind: 'exists'; value: boolean }
  | { kind: 'cidr'; list: BlockList };

type NumericOp = '=' | '<' | '<=' | '>' | '>=';

/** A checked pattern: fields to leaf matchers or to nested patterns, and `$or` branches. */
export interface EventPattern {
  fields: Map<string, Matcher[] | EventPattern>;
  anyOf: EventPattern[][];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isScalar = (value: unknown): value is Scalar =>
  value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

function invalid(path: string, reason: string): never {
  throw new InvalidEventPatternError(`Event pattern is not valid. Reason: ${path}: ${reason}`);
}

/** Parses and checks a pattern given as JSON text or as an object (CloudFormation's `EventPattern`). */
export function parseEventPattern(source: unknown): EventPattern {
  let value = source;
  if (typeof source === 'string') {
    try {
      value = JSON.parse(source);
    } catch {
      invalid('$', 'not valid JSON');
    }
  }
  if (!isObject(value)) invalid('$', 'an event pattern is a JSON object');
  if (Object.keys(value).length === 0) invalid('$', 'empty objects are not allowed');
  return parseObject(value, '$');
}

function parseObject(value: Record<string, unknown>, path: string): EventPattern {
  const pattern: EventPattern = { fields: new Map(), anyOf: [] };
  for (const [key, child] of Object.entries(value)) {
    const at = `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(child) || child.length < 2) invalid(at, '$or takes a list of at least two patterns');
      pattern.anyOf.push(
        child.map((branch, index) => {
          if (!isObject(branch) || Object.keys(branch).length === 0)
            invalid(`${at}[${index}]`, 'each $or branch is a non-empty object');
          return parseObject(branch, `${at}[${index}]`);
        }),
      );
    } else if (Array.isArray(child)) {
      if (child.length === 0) invalid(at, 'empty arrays are not allowed');
      pattern.fields.set(
        key,
        child.map((item, index) => parseMatcher(item, `${at}[${index}]`)),
      );
    } else if (isObject(child)) {
      if (Object.keys(child).length === 0) invalid(at, 'empty objects are not allowed');
      pattern.fields.set(key, parseObject(child, at));
    } else {
      invalid(at, `match value must be an array or an object, got ${JSON.stringify(child)}`);
    }
  }
  return pattern;
}

function stringOf(value: unknown, path: string, what: string): string {
  if (typeof value !== 'string') invalid(path, `${what} takes a string, got ${JSON.stringify(value)}`);
  return value;
}

/** `prefix` / `suffix`: a string, or `{ "equals-ignore-case": string }`. */
function parseAffix(kind: 'prefix' | 'suffix', value: unknown, path: string): Matcher {
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case')
      invalid(path, `${kind} takes a string or {"equals-ignore-case": string}`);
    return {
      kind,
      value: stringOf(value['equals-ignore-case'], path, 'equals-ignore-case'),
      ignoreCase: true,
    };
  }
  return { kind, value: stringOf(value, path, kind), ignoreCase: false };
}

function wildcardRegex(value: string, path: string): RegExp {
  if (value.includes('**')) invalid(path, 'consecutive wildcard characters are not allowed');
  let source = '';
  for (let index = 0; index < value.length; index += 1) {
    const char = value.charAt(index);
    if (char === '\\') {
      const next = value.charAt(index + 1);
      if (next !== '*' && next !== '\\') invalid(path, `'\\' escapes only '*' or '\\' in a wildcard`);
      source += next === '*' ? '\\*' : '\\\\';
      index += 1;
    } else if (char === '*') source += '.*';
    else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

const NUMERIC_OPS = new Set<string>(['=', '<', '<=', '>', '>=']);

function parseNumeric(value: unknown, path: string): Matcher {
  if (!Array.isArray(value) || value.length === 0 || value.length % 2 !== 0 || value.length > 4)
    invalid(path, 'numeric takes one or two [operator, number] pairs');
  const bounds: Array<{ op: NumericOp; value: number }> = [];
  for (let index = 0; index < value.length; index += 2) {
    const op = value[index];
    const bound = value[index + 1];
    if (typeof op !== 'string' || !NUMERIC_OPS.has(op))
      invalid(path, `unrecognized numeric range operator: ${JSON.stringify(op)}`);
    if (typeof bound !== 'number' || !Number.isFinite(bound))
      invalid(path, `value of ${op} must be a number, got ${JSON.stringify(bound)}`);
    bounds.push({ op: op as NumericOp, value: bound });
  }
  const lower = bounds.filter((b) => b.op === '>' || b.op === '>=').length;
  const upper = bounds.filter((b) => b.op === '<' || b.op === '<=').length;
  const equal = bounds.filter((b) => b.op === '=').length;
  if (lower > 1 || upper > 1 || (equal > 0 && bounds.length > 1))
    invalid(path, 'numeric takes at most one lower and one upper bound, or one "="');
  return { kind: 'numeric', bounds };
}

function parseCidr(value: unknown, path: string): Matcher {
  const text = stringOf(value, path, 'cidr');
  const [address = '', bits = '', ...rest] = text.split('/');
  const prefix = Number(bits);
  const type = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (type === undefined || rest.length > 0 || !/^[0-9]{1,3}$/.test(bits))
    invalid(path, `'${text}' is not a CIDR block`);
  if (prefix > (type === 'ipv4' ? 32 : 128)) invalid(path, `'${text}' has a prefix too long`);
  const list = new BlockList();
  list.addSubnet(address, prefix, type);
  return { kind: 'cidr', list };
}

function parseAnythingBut(value: unknown, path: string): Matcher {
  if (isScalar(value) && value !== null) return { kind: 'anything-but', inner: [{ kind: 'exact', value }] };
  if (Array.isArray(value)) {
    if (value.length === 0) invalid(path, 'anything-but takes a non-empty list');
    return {
      kind: 'anything-but',
      inner: value.map((item) => {
        if (typeof item !== 'string' && typeof item !== 'number')
          invalid(path, `anything-but lists hold strings or numbers, got ${JSON.stringify(item)}`);
        return { kind: 'exact', value: item };
      }),
    };
  }
  if (isObject(value)) {
    const entries = Object.entries(value);
    const [entry] = entries;
    if (entries.length !== 1 || entry === undefined)
      invalid(path, 'anything-but takes one of prefix, suffix, equals-ignore-case, wildcard');
    const [kind, inner] = entry;
    if (kind === 'prefix' || kind === 'suffix')
      return { kind: 'anything-but', inner: [parseAffix(kind, inner, path)] };
    const values = Array.isArray(inner) ? inner : [inner];
    if (values.length === 0) invalid(path, `anything-but ${kind} takes a non-empty list`);
    if (kind === 'equals-ignore-case')
      return {
        kind: 'anything-but',
        inner: values.map((item) => ({ kind, value: stringOf(item, path, kind) })),
      };
    if (kind === 'wildcard')
      return {
        kind: 'anything-but',
        inner: values.map((item) => ({ kind, regex: wildcardRegex(stringOf(item, path, kind), path) })),
      };
    invalid(path, `unsupported anything-but operator: ${kind}`);
  }
  invalid(path, `anything-but takes a value, a list or an object, got ${JSON.stringify(value)}`);
}

function parseMatcher(item: unknown, path: string): Matcher {
  if (isScalar(item)) return { kind: 'exact', value: item };
  if (!isObject(item)) invalid(path, 'match values are strings, numbers, booleans, null or objects');
  const entries = Object.entries(item);
  const [entry] = entries;
  if (entries.length !== 1 || entry === undefined) invalid(path, 'a content filter has exactly one operator');
  const [operator, value] = entry;
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return parseAffix(operator, value, path);
    case 'equals-ignore-case':
      return { kind: operator, value: stringOf(value, path, operator) };
    case 'wildcard':
      return { kind: operator, regex: wildcardRegex(stringOf(value, path, operator), path) };
    case 'anything-but':
      return parseAnythingBut(value, path);
    case 'numeric':
      return parseNumeric(value, path);
    case 'exists':
      if (typeof value !== 'boolean') invalid(path, 'exists takes true or false');
      return { kind: 'exists', value };
    case 'cidr':
      return parseCidr(value, path);
    default:
      invalid(path, `unrecognized match type ${operator}`);
  }
}

const lower = (value: string) => value.toLowerCase();

function matchesValue(matcher: Matcher, value: Scalar): boolean {
  switch (matcher.kind) {
    case 'exact':
      return typeof matcher.value === 'number' && typeof value === 'number'
        ? matcher.value === value
        : matcher.value === value;
    case 'prefix':
      if (typeof value !== 'string') return false;
      return matcher.ignoreCase
        ? lower(value).startsWith(lower(matcher.value))
        : value.startsWith(matcher.value);
    case 'suffix':
      if (typeof value !== 'string') return false;
      return matcher.ignoreCase ? lower(value).endsWith(lower(matcher.value)) : value.endsWith(matcher.value);
    case 'equals-ignore-case':
      return typeof value === 'string' && lower(value) === lower(matcher.value);
    case 'wildcard':
      return typeof value === 'string' && matcher.regex.test(value);
    case 'anything-but':
      return !matcher.inner.some((inner) => matchesValue(inner, value));
    case 'numeric':
      return (
        typeof value === 'number' && matcher.bounds.every((bound) => compare(bound.op, value, bound.value))
      );
    case 'exists':
      return matcher.value;
    case 'cidr':
      return (
        typeof value === 'string' &&
        ((isIPv4(value) && matcher.list.check(value, 'ipv4')) ||
          (isIPv6(value) && matcher.list.check(value, 'ipv6')))
      );
  }
}

function compare(op: NumericOp, value: number, bound: number): boolean {
  if (op === '=') return value === bound;
  if (op === '<') return value < bound;
  if (op === '<=') return value <= bound;
  if (op === '>') return value > bound;
  return value >= bound;
}

/** The leaf values at a field: arrays (nested too) are flattened, objects are not leaves. */
function leaves(value: unknown): Scalar[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap(leaves);
  return isScalar(value) ? [value] : [];
}

/** The objects at a field: an array of objects offers each of them. */
function objects(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.flatMap(objects);
  return isObject(value) ? [value] : [];
}

function matchesLeaf(matchers: readonly Matcher[], value: unknown): boolean {
  const values = leaves(value);
  return matchers.some((matcher) => {
    if (matcher.kind === 'exists') return matcher.value === values.length > 0;
    return values.some((item) => matchesValue(matcher, item));
  });
}

function matchesObject(pattern: EventPattern, node: Record<string, unknown>): boolean {
  for (const [key, expected] of pattern.fields) {
    const value = Object.hasOwn(node, key) ? node[key] : undefined;
    if (Array.isArray(expected)) {
      if (!matchesLeaf(expected, value)) return false;
    } else {
      // A missing object is matched as empty, so `exists: false` inside it holds.
      const candidates = objects(value);
      if (candidates.length === 0) candidates.push({});
      if (!candidates.some((candidate) => matchesObject(expected, candidate))) return false;
    }
  }
  return pattern.anyOf.every((branches) => branches.some((branch) => matchesObject(branch, node)));
}

/** Whether an event (the full envelope: source, detail-type, detail, …) matches the pattern. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return isObject(event) && matchesObject(pattern, event);
}
