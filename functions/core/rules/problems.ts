/**
 * Rule problems: what is wrong with a rule file or a rules-table item, in words a rule
 * author can act on, naming the file (or "table"), the item and the field path.
 */
import type { z } from 'zod/mini';
import { KNOWN_FIELDS } from './schema.ts';

export interface RuleProblem {
  /** The file path, or 'table' for a rules-table item. */
  source: string;
  /** The id of the item the problem is in, when it can be read. */
  ruleId?: string;
  /** 'rule' | 'service' | 'defaults' | 'file' (or the unknown kind a table item had). */
  kind?: string;
  /** Field path inside the item (`match.accounts[0]`), or inside the file when the item has no readable id (`rules[3].id`). */
  path: string;
  /** What is wrong, with the offending value (`must be a 12-digit account id, got "1111"`). */
  message: string;
  value?: unknown;
  /** 1-based line in the file, when known. */
  line?: number;
  /** Set on the problem that stands for those of an item left unlisted: how many there are. */
  unlisted?: number;
}

/** `policies/partners.yaml: rule "acme-prod": match.accounts[0]: must be a 12-digit account id, got "1111"` */
export function formatProblem(problem: RuleProblem): string {
  const parts = [problem.source];
  const item = itemLabel(problem);
  if (item) parts.push(item);
  if (problem.path) parts.push(problem.path);
  parts.push(problem.message);
  return parts.join(': ');
}

function itemLabel(problem: RuleProblem): string | undefined {
  if (problem.kind === 'defaults') return 'defaults';
  if (problem.ruleId === undefined || problem.kind === 'file') return undefined;
  return `${problem.kind === 'service' ? 'service' : 'rule'} ${JSON.stringify(problem.ruleId)}`;
}

export type PathSegment = string | number;

/** `['rules', 3, 'match', 'tags', 'team:x']` → `rules[3].match.tags["team:x"]` */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$-]*$/.test(segment)) {
      text += text === '' ? segment : `.${segment}`;
    } else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

/** A value as a problem message shows it: JSON, cut short. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value instanceof Date) return `a date (${value.toISOString()})`;
  if (value instanceof Set) return 'a set (write a list instead)';
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    if (typeof segment === 'symbol') return undefined;
    current = Object.hasOwn(current, segment) ? Reflect.get(current, segment) : undefined;
  }
  return current;
}

type Issue = z.core.$ZodIssue;

interface Located {
  path: PropertyKey[];
  message: string;
  value?: unknown;
}

/** Zod's default messages start like this; ours never do. */
const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized)/;

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

function locate(issue: Issue, input: unknown): Located[] {
  const path = [...issue.path];
  const value = valueAt(input, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], message: unknownField(key) }));
    case 'invalid_key': {
      const inner = issue.issues[0];
      const message = inner && !ZOD_DEFAULT.test(inner.message) ? inner.message : 'is not an allowed key';
      return [{ path, message: `${message}, got key ${describeValue(path.at(-1))}` }];
    }
    case 'invalid_type': {
      if (value === undefined) return [{ path, message: 'is required' }];
      const expected = ARTICLE[issue.expected] ?? issue.expected;
      const hint =
        issue.expected === 'string' && typeof value === 'number'
          ? ' (put it in quotes: YAML reads it as a number)'
          : '';
      return [{ path, message: `must be ${expected}${hint}`, value }];
    }
    case 'invalid_value':
      if (!ZOD_DEFAULT.test(issue.message)) return [{ path, message: issue.message, value }];
      return [{ path, message: `must be one of ${issue.values.map(String).join(', ')}`, value }];
    case 'invalid_union': {
      const options = 'options' in issue && Array.isArray(issue.options) ? issue.options : undefined;
      if (options) return [{ path, message: `must be one of ${options.map(String).join(', ')}`, value }];
      return [{ path, message: 'has the wrong shape', value }];
    }
    default:
      return [{ path, message: ZOD_DEFAULT.test(issue.message) ? 'is not valid' : issue.message, value }];
  }
}

function unknownField(key: string): string {
  const suggestion = closestField(key);
  return suggestion ? `is not a known field (did you mean "${suggestion}"?)` : 'is not a known field';
}

function closestField(key: string): string | undefined {
  return closestName(key, KNOWN_FIELDS);
}

/** The name a typo most likely meant: at most two edits away (or differing only in case). */
export function closestName(key: string, names: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const field of names) {
    const distance = field.toLowerCase() === key.toLowerCase() ? 0 : editDistance(field, key);
    if (distance < bestDistance) {
      best = field;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 3;
}

export interface ProblemScope {
  source: string;
  kind?: string;
  ruleId?: string;
  /** Shown before every issue path (e.g. `['rules', 3]` when the rule id is unreadable). */
  prefix?: readonly PathSegment[];
  /** Where the item sits in its file, for line lookups. */
  location?: readonly PathSegment[];
  /** Finds the line of a path inside the file, for YAML files. */
  lineOf?: (path: readonly PropertyKey[]) => number | undefined;
}

/**
 * How many problems one item lists. An item can carry any number of bad values (a rule
 * with 200,000 malformed accounts); past this many the rest are counted, not listed, so
 * that a notice, a ledger entry and a terminal stay readable and bounded.
 */
export const MAX_PROBLEMS_PER_ITEM = 100;

/** The problem that stands for `count` problems of an item that are not listed. */
export function unlistedProblems(scope: ProblemScope, count: number): RuleProblem {
  const problem = problemAt(
    scope,
    [],
    `and ${count} more problem${count === 1 ? '' : 's'} in this item (not listed)`,
  );
  problem.unlisted = count;
  return problem;
}

/**
 * Turns zod issues about `input` into problems, one per offending field, with the value in
 * the message: the first `MAX_PROBLEMS_PER_ITEM`, then one that counts the rest.
 */
export function issuesToProblems(
  issues: readonly Issue[],
  input: unknown,
  scope: ProblemScope,
): RuleProblem[] {
  const problems: RuleProblem[] = [];
  let unlisted = 0;
  for (const issue of issues) {
    for (const located of locate(issue, input)) {
      if (problems.length >= MAX_PROBLEMS_PER_ITEM) {
        unlisted += 1;
        continue;
      }
      problems.push(
        problemAt(
          scope,
          located.path,
          located.message,
          'value' in located ? { value: located.value } : undefined,
        ),
      );
    }
  }
  if (unlisted > 0) problems.push(unlistedProblems(scope, unlisted));
  return problems;
}

/** One problem at a path relative to the item; `got` adds ", got <value>" to the message. */
export function problemAt(
  scope: ProblemScope,
  path: readonly PropertyKey[],
  message: string,
  got?: { value: unknown },
): RuleProblem {
  const problem: RuleProblem = {
    source: scope.source,
    path: formatPath([...(scope.prefix ?? []), ...path]),
    message: got ? `${message}, got ${describeValue(got.value)}` : message,
  };
  if (scope.kind !== undefined) problem.kind = scope.kind;
  if (scope.ruleId !== undefined) problem.ruleId = scope.ruleId;
  if (got) problem.value = got.value;
  const line = scope.lineOf?.([...(scope.location ?? []), ...path]);
  if (line !== undefined) problem.line = line;
  return problem;
}
