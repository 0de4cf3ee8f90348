/**
 * What a rule's target receives for an event: the event itself, or `Input` (fixed JSON),
 * `InputPath` (a JSONPath into the event), or `InputTransformer` (values taken by JSONPath
 * into a template). EventBridge's rules for templates: a template that is JSON gets each
 * placeholder outside a string as a JSON value (a string quoted, an object as JSON, a
 * missing value as null) and inside a string as its text (escaped for JSON); any other
 * template gets each value's text. The JSONPath EventBridge takes: `$`, dot notation
 * (names with dashes, underscores, slashes), `[n]` indices and `*` wildcards.
 */

export class InvalidTargetInputError extends Error {
  override name = 'InvalidTargetInputError';
}

export interface InputTransformer {
  InputPathsMap?: Record<string, string>;
  InputTemplate: string;
}

export interface TargetInputSpec {
  Input?: string;
  InputPath?: string;
  InputTransformer?: InputTransformer;
}

/** What the target gets: JSON (to a Lambda as the event, to a queue as its text) or plain text. */
export type TargetPayload = { kind: 'json'; value: unknown } | { kind: 'text'; text: string };

type Step = { kind: 'name'; name: string } | { kind: 'index'; index: number } | { kind: 'any' };

/** Parses `$.detail.items[0].name` / `$.detail.*`; throws naming the path. */
export function parseJsonPath(path: string): Step[] {
  if (!path.startsWith('$'))
    throw new InvalidTargetInputError(`'${path}' is not a JSON path: it starts with $`);
  const steps: Step[] = [];
  const token = /\.([A-Za-z0-9_\-/:@]+|\*)|\[([0-9]+|\*)\]/y;
  token.lastIndex = 1;
  while (token.lastIndex < path.length) {
    const start = token.lastIndex;
    const match = token.exec(path);
    if (match === null || match.index !== start)
      throw new InvalidTargetInputError(
        `'${path}' is not a JSON path EventBridge takes (at '${path.slice(start)}')`,
      );
    const name = match[1];
    const bracket = match[2];
    if (name === '*' || bracket === '*') steps.push({ kind: 'any' });
    else if (name !== undefined) steps.push({ kind: 'name', name });
    else steps.push({ kind: 'index', index: Number(bracket) });
  }
  return steps;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at a path; a wildcard gives the list of what it reached; undefined when absent. */
export function valueAt(document: unknown, path: string): unknown {
  let current: unknown[] = [document];
  let many = false;
  for (const step of parseJsonPath(path)) {
    const next: unknown[] = [];
    for (const node of current) {
      if (step.kind === 'name') {
        if (isObject(node) && Object.hasOwn(node, step.name)) next.push(node[step.name]);
      } else if (step.kind === 'index') {
        if (Array.isArray(node) && step.index < node.length) next.push(node[step.index]);
      } else {
        many = true;
        if (Array.isArray(node)) next.push(...node);
        else if (isObject(node)) next.push(...Object.values(node));
      }
    }
    current = next;
  }
  return many ? current : current[0];
}

const RESERVED = new Set([
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event.ingestion-time',
  'aws.events.event',
  'aws.events.event.json',
]);

/** Checks a target's input fields as PutTargets does; throws naming the field. */
export function checkTargetInput(spec: TargetInputSpec, field: string): void {
  const given = [spec.Input, spec.InputPath, spec.InputTransformer].filter((value) => value !== undefined);
  if (given.length > 1)
    throw new InvalidTargetInputError(
      `${field}: only one of Input, InputPath and InputTransformer may be given`,
    );
  if (spec.Input !== undefined) {
    try {
      JSON.parse(spec.Input);
    } catch {
      throw new InvalidTargetInputError(`${field}.Input: '${spec.Input}' is not valid JSON`);
    }
  }
  if (spec.InputPath !== undefined) parseJsonPath(spec.InputPath);
  const transformer = spec.InputTransformer;
  if (transformer !== undefined) {
    if (typeof transformer.InputTemplate !== 'string' || transformer.InputTemplate === '')
      throw new InvalidTargetInputError(
        `${field}.InputTransformer.InputTemplate: a non-empty string is required`,
      );
    const paths = Object.entries(transformer.InputPathsMap ?? {});
    if (paths.length > 100)
      throw new InvalidTargetInputError(`${field}.InputTransformer.InputPathsMap: at most 100 entries`);
    for (const [name, path] of paths) {
      if (RESERVED.has(name) || name.toLowerCase().startsWith('aws.'))
        throw new InvalidTargetInputError(`${field}.InputTransformer.InputPathsMap: '${name}' is reserved`);
      if (typeof path !== 'string')
        throw new InvalidTargetInputError(
          `${field}.InputTransformer.InputPathsMap.${name}: a JSON path is required`,
        );
      parseJsonPath(path);
    }
  }
}

export interface InputContext {
  ruleArn: string;
  ruleName: string;
  ingestionTime: string;
}

/** The payload a target gets for `event` under `spec`. */
export function targetPayload(
  spec: TargetInputSpec,
  event: Record<string, unknown>,
  context: InputContext,
): TargetPayload {
  if (spec.Input !== undefined) return { kind: 'json', value: JSON.parse(spec.Input) };
  if (spec.InputPath !== undefined) return { kind: 'json', value: valueAt(event, spec.InputPath) ?? null };
  if (spec.InputTransformer === undefined) return { kind: 'json', value: event };
  const values = new Map<string, unknown>();
  for (const [name, path] of Object.entries(spec.InputTransformer.InputPathsMap ?? {}))
    values.set(name, valueAt(event, path));
  values.set('aws.events.rule-arn', context.ruleArn);
  values.set('aws.events.rule-name', context.ruleName);
  values.set('aws.events.event.ingestion-time', context.ingestionTime);
  const { detail: _detail, ...withoutDetail } = event;
  values.set('aws.events.event', withoutDetail);
  values.set('aws.events.event.json', event);
  return render(spec.InputTransformer.InputTemplate, values);
}

const textOf = (value: unknown): string =>
  value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);

function render(template: string, values: Map<string, unknown>): TargetPayload {
  const trimmed = template.trim();
  const json = trimmed.startsWith('{') || trimmed.startsWith('[');
  if (!json) {
    return {
      kind: 'text',
      text: template.replace(/<([^<>\s]+)>/g, (whole, name: string) =>
        values.has(name) ? textOf(values.get(name)) : whole,
      ),
    };
  }
  // Walk the template, knowing whether each placeholder stands inside a JSON string.
  let out = '';
  let inString = false;
  for (let index = 0; index < template.length; index += 1) {
    const char = template.charAt(index);
    if (inString && char === '\\') {
      out += char + template.charAt(index + 1);
      index += 1;
      continue;
    }
    if (char === '"') inString = !inString;
    if (char === '<') {
      const end = template.indexOf('>', index);
      const name = end < 0 ? '' : template.slice(index + 1, end);
      if (name !== '' && values.has(name)) {
        const value = values.get(name);
        out += inString ? JSON.stringify(textOf(value)).slice(1, -1) : JSON.stringify(value ?? null);
        index = end;
        continue;
      }
    }
    out += char;
  }
  try {
    return { kind: 'json', value: JSON.parse(out) };
  } catch {
    // EventBridge sends what the template made even when it is not JSON.
    return { kind: 'text', text: out };
  }
}

/** The payload as the text a queue message carries. */
export const payloadText = (payload: TargetPayload): string =>
  payload.kind === 'json' ? JSON.stringify(payload.value) : payload.text;
