/**
 * CloudFormation's intrinsic functions and conditions, resolved against what a stack has
 * made so far: `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`,
 * `Fn::If`, `Fn::FindInMap`, `Fn::Base64`, `Fn::GetAZs`, `Fn::ImportValue`, and the
 * condition functions. Pure: the deployer hands in the values.
 */

export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** What `Ref: AWS::NoValue` resolves to: the property is dropped. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

export interface ResolvedResource {
  physicalId: string;
  attributes: Record<string, unknown>;
}

export interface ResolveContext {
  /** Parameters and pseudo parameters by name. */
  parameters: Record<string, unknown>;
  /** Resources made so far, by logical id. */
  resources: Record<string, ResolvedResource>;
  /** Condition values by name (evaluated first, see `evaluateConditions`). */
  conditions: Record<string, boolean>;
  mappings: Record<string, Record<string, Record<string, unknown>>>;
  /** Exported values of other stacks in the account and region (`Fn::ImportValue`). */
  exports: Record<string, string>;
  region: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `{ "Fn::X": args }` with exactly one key that names a function, else undefined. */
function functionOf(value: Record<string, unknown>): [string, unknown] | undefined {
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const [name] = keys as [string];
  if (name === 'Ref' || name === 'Condition' || name.startsWith('Fn::')) return [name, value[name]];
  return undefined;
}

export function resolveValue(value: unknown, context: ResolveContext, where: string): unknown {
  if (Array.isArray(value)) {
    return value
      .map((item, i) => resolveValue(item, context, `${where}[${i}]`))
      .filter((v) => v !== NO_VALUE);
  }
  if (!isObject(value)) return value;
  const fn = functionOf(value);
  if (fn !== undefined && fn[0] !== 'Condition') return resolveFunction(fn[0], fn[1], context, where);
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const resolved = resolveValue(child, context, `${where}.${key}`);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

function resolveFunction(name: string, args: unknown, context: ResolveContext, where: string): unknown {
  const at = `${where}: ${name}`;
  switch (name) {
    case 'Ref':
      return ref(args, context, at);
    case 'Fn::GetAtt':
      return getAtt(args, context, at);
    case 'Fn::Join': {
      const [delimiter, list] = pair(args, at);
      const parts = resolveValue(list, context, at);
      if (typeof delimiter !== 'string' || !Array.isArray(parts))
        throw new TemplateError(`${at} takes [delimiter, [values]]`);
      return parts.map((part) => scalar(part, at)).join(delimiter);
    }
    case 'Fn::Sub':
      return sub(args, context, at);
    case 'Fn::Select': {
      const [index, list] = pair(args, at);
      const i = Number(resolveValue(index, context, at));
      const values = resolveValue(list, context, at);
      if (!Array.isArray(values) || !Number.isInteger(i) || i < 0 || i >= values.length)
        throw new TemplateError(`${at}: index ${String(index)} is outside the list`);
      return values[i];
    }
    case 'Fn::Split': {
      const [delimiter, source] = pair(args, at);
      const text = resolveValue(source, context, at);
      if (typeof delimiter !== 'string' || typeof text !== 'string')
        throw new TemplateError(`${at} takes [delimiter, string]`);
      return text.split(delimiter);
    }
    case 'Fn::If': {
      if (!Array.isArray(args) || args.length !== 3 || typeof args[0] !== 'string')
        throw new TemplateError(`${at} takes [condition, valueIfTrue, valueIfFalse]`);
      const condition = context.conditions[args[0]];
      if (condition === undefined) throw new TemplateError(`${at}: no condition named ${args[0]}`);
      return resolveValue(condition ? args[1] : args[2], context, at);
    }
    case 'Fn::FindInMap': {
      if (!Array.isArray(args) || args.length !== 3) throw new TemplateError(`${at} takes [map, key, key]`);
      const [map, top, second] = args.map((a) => scalar(resolveValue(a, context, at), at));
      const found = context.mappings[map ?? '']?.[top ?? '']?.[second ?? ''];
      if (found === undefined) throw new TemplateError(`${at}: no ${map}.${top}.${second} in Mappings`);
      return found;
    }
    case 'Fn::Base64':
      return Buffer.from(scalar(resolveValue(args, context, at), at)).toString('base64');
    case 'Fn::GetAZs': {
      const region = scalar(resolveValue(args, context, at), at) || context.region;
      return ['a', 'b', 'c'].map((zone) => `${region}${zone}`);
    }
    case 'Fn::ImportValue': {
      const exportName = scalar(resolveValue(args, context, at), at);
      const value = context.exports[exportName];
      if (value === undefined) throw new TemplateError(`${at}: no stack exports ${exportName}`);
      return value;
    }
    case 'Fn::Equals':
    case 'Fn::And':
    case 'Fn::Or':
    case 'Fn::Not':
      return evaluateCondition({ [name]: args }, context, at);
    default:
      throw new TemplateError(`${at}: the local cloud does not support ${name}`);
  }
}

function pair(args: unknown, at: string): [unknown, unknown] {
  if (!Array.isArray(args) || args.length !== 2) throw new TemplateError(`${at} takes two arguments`);
  return [args[0], args[1]];
}

function scalar(value: unknown, at: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateError(`${at}: expected a string, got ${JSON.stringify(value)}`);
}

function ref(args: unknown, context: ResolveContext, at: string): unknown {
  if (typeof args !== 'string') throw new TemplateError(`${at} takes a name`);
  if (args === 'AWS::NoValue') return NO_VALUE;
  if (args in context.parameters) return context.parameters[args];
  const resource = context.resources[args];
  if (resource === undefined) throw new TemplateError(`${at}: nothing named ${args} has been made`);
  return resource.physicalId;
}

function getAtt(args: unknown, context: ResolveContext, at: string): unknown {
  const [logicalId, attribute] =
    typeof args === 'string'
      ? [args.slice(0, args.indexOf('.')), args.slice(args.indexOf('.') + 1)]
      : Array.isArray(args)
        ? [args[0], resolveValue(args[1], context, at)]
        : [undefined, undefined];
  if (typeof logicalId !== 'string' || typeof attribute !== 'string')
    throw new TemplateError(`${at} takes [logicalId, attribute]`);
  const resource = context.resources[logicalId];
  if (resource === undefined) throw new TemplateError(`${at}: no resource ${logicalId} has been made`);
  if (!(attribute in resource.attributes))
    throw new TemplateError(`${at}: ${logicalId} has no attribute ${attribute} here`);
  return resource.attributes[attribute];
}

function sub(args: unknown, context: ResolveContext, at: string): string {
  const [text, variables] =
    typeof args === 'string' ? [args, {}] : Array.isArray(args) ? [args[0], args[1] ?? {}] : [undefined, {}];
  if (typeof text !== 'string' || !isObject(variables))
    throw new TemplateError(`${at} takes a string or [string, {variables}]`);
  return text.replace(/\$\{(!?)([^}]*)\}/g, (_match, literal: string, name: string) => {
    if (literal === '!') return `\${${name}}`;
    if (name in variables) return scalar(resolveValue(variables[name], context, at), at);
    if (name.includes('.')) return scalar(getAtt(name, context, at), at);
    return scalar(ref(name, context, at), at);
  });
}

/** Condition names' values, in any order of reference between them. */
export function evaluateConditions(
  conditions: Record<string, unknown>,
  context: Omit<ResolveContext, 'conditions'>,
): Record<string, boolean> {
  const values: Record<string, boolean> = {};
  const evaluating = new Set<string>();
  const evaluate = (name: string): boolean => {
    const known = values[name];
    if (known !== undefined) return known;
    if (!(name in conditions)) throw new TemplateError(`Conditions: no condition named ${name}`);
    if (evaluating.has(name)) throw new TemplateError(`Conditions: ${name} refers to itself`);
    evaluating.add(name);
    const lazy = new Proxy({} as Record<string, boolean>, {
      get: (_target, key: string) => evaluate(key),
    });
    const value = evaluateCondition(conditions[name], { ...context, conditions: lazy }, `Conditions.${name}`);
    values[name] = value;
    return value;
  };
  for (const name of Object.keys(conditions)) evaluate(name);
  return values;
}

function evaluateCondition(condition: unknown, context: ResolveContext, at: string): boolean {
  if (!isObject(condition)) throw new TemplateError(`${at}: a condition is a condition function`);
  const fn = functionOf(condition);
  if (fn === undefined) throw new TemplateError(`${at}: a condition is a condition function`);
  const [name, args] = fn;
  const list = (count?: number): unknown[] => {
    if (!Array.isArray(args) || (count !== undefined && args.length !== count))
      throw new TemplateError(`${at}: ${name} takes ${count ?? 'a list of'} arguments`);
    return args;
  };
  switch (name) {
    case 'Condition': {
      const value = typeof args === 'string' ? context.conditions[args] : undefined;
      if (value === undefined) throw new TemplateError(`${at}: no condition named ${String(args)}`);
      return value;
    }
    case 'Fn::Equals': {
      const [a, b] = list(2).map((v) => resolveValue(v, context, at));
      return JSON.stringify(a) === JSON.stringify(b);
    }
    case 'Fn::And':
      return list().every((c) => evaluateCondition(c, context, at));
    case 'Fn::Or':
      return list().some((c) => evaluateCondition(c, context, at));
    case 'Fn::Not':
      return !evaluateCondition(list(1)[0], context, at);
    default:
      throw new TemplateError(`${at}: ${name} is not a condition function`);
  }
}

/** The logical ids a value refers to (Ref, GetAtt, Sub), for the order of creation. */
export function referencesOf(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencesOf(item, into);
    return into;
  }
  if (!isObject(value)) return into;
  const fn = functionOf(value);
  if (fn?.[0] === 'Ref' && typeof fn[1] === 'string') into.add(fn[1]);
  else if (fn?.[0] === 'Fn::GetAtt') {
    const target =
      typeof fn[1] === 'string' ? fn[1].split('.')[0] : Array.isArray(fn[1]) ? fn[1][0] : undefined;
    if (typeof target === 'string') into.add(target);
  } else if (fn?.[0] === 'Fn::Sub') {
    const [text, variables] =
      typeof fn[1] === 'string' ? [fn[1], undefined] : Array.isArray(fn[1]) ? fn[1] : [];
    if (typeof text === 'string') {
      for (const [, literal, name] of text.matchAll(/\$\{(!?)([^}]*)\}/g)) {
        if (literal !== '!' && name !== undefined) into.add(name.split('.')[0] ?? name);
      }
    }
    referencesOf(variables, into);
  } else {
    for (const child of Object.values(value)) referencesOf(child, into);
  }
  return into;
}
