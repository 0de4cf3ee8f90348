/**
 * A CloudFormation template as the deployer reads it, checked for the shape it relies
 * on: every problem names the logical id or section and the value.
 */
import { referencesOf, TemplateError } from './intrinsics.ts';

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: Record<string, unknown>;
}

export interface TemplateParameter {
  Type: string;
  Default?: unknown;
  AllowedValues?: unknown[];
  Description?: string;
}

export interface TemplateOutput {
  Value: unknown;
  Description?: string;
  Condition?: string;
  Export?: { Name: unknown };
}

export interface Template {
  Parameters: Record<string, TemplateParameter>;
  Conditions: Record<string, unknown>;
  Mappings: Record<string, Record<string, Record<string, unknown>>>;
  Rules: Record<
    string,
    { RuleCondition?: unknown; Assertions?: { Assert: unknown; AssertDescription?: string }[] }
  >;
  Resources: Record<string, TemplateResource>;
  Outputs: Record<string, TemplateOutput>;
  Description?: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const LOGICAL_ID = /^[A-Za-z0-9]{1,255}$/;

export function parseTemplate(source: unknown, where: string): Template {
  if (!isObject(source)) throw new TemplateError(`${where}: a template is a JSON object`);
  const section = <T>(name: string): Record<string, T> => {
    const value = source[name];
    if (value === undefined) return {};
    if (!isObject(value)) throw new TemplateError(`${where}: ${name} must be an object`);
    return value as Record<string, T>;
  };
  const resources = section<TemplateResource>('Resources');
  if (Object.keys(resources).length === 0) throw new TemplateError(`${where}: the template has no Resources`);
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!LOGICAL_ID.test(logicalId))
      throw new TemplateError(`${where}: '${logicalId}' is not a logical id (alphanumeric)`);
    if (!isObject(resource) || typeof resource.Type !== 'string' || resource.Type === '')
      throw new TemplateError(`${where}: Resources.${logicalId} has no Type`);
    if (resource.Properties !== undefined && !isObject(resource.Properties))
      throw new TemplateError(`${where}: Resources.${logicalId}.Properties must be an object`);
  }
  return {
    Parameters: section('Parameters'),
    Conditions: section('Conditions'),
    Mappings: section('Mappings'),
    Rules: section('Rules'),
    Resources: resources,
    Outputs: section('Outputs'),
    ...(typeof source.Description === 'string' ? { Description: source.Description } : {}),
  };
}

/** The logical ids a resource must wait for: what it refers to and what it depends on. */
export function dependenciesOf(resource: TemplateResource, resourceIds: ReadonlySet<string>): string[] {
  const found = referencesOf(resource.Properties ?? {});
  const dependsOn = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
  for (const id of dependsOn) found.add(id);
  return [...found].filter((id) => resourceIds.has(id));
}

/** Logical ids in an order where each comes after everything it needs; a cycle is an error. */
export function creationOrder(resources: Record<string, TemplateResource>): string[] {
  const ids = new Set(Object.keys(resources));
  for (const [logicalId, resource] of Object.entries(resources)) {
    for (const id of resource.DependsOn === undefined ? [] : [resource.DependsOn].flat()) {
      if (!ids.has(id))
        throw new TemplateError(`Resources.${logicalId}.DependsOn names ${id}, which is not a resource`);
    }
  }
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting')
      throw new TemplateError(`circular dependency between resources: ${[...path, id].join(' -> ')}`);
    state.set(id, 'visiting');
    const resource = resources[id];
    if (resource !== undefined) for (const dep of dependenciesOf(resource, ids)) visit(dep, [...path, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of Object.keys(resources).sort()) visit(id, []);
  return order;
}
