/**
 * The local CloudFormation: creates a stack's resources in dependency order through the
 * services' resource providers, resolving every intrinsic function as it goes; updates a
 * redeployed stack in place where CloudFormation would (or replaces); deletes in reverse
 * order, keeping what a `Retain` policy keeps. A failed create rolls back what it made.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { CreatedResource, ResourceProvider, ResourceRequest, StackIdentity } from '../service.ts';
import {
  evaluateConditions,
  NO_VALUE,
  type ResolveContext,
  resolveValue,
  TemplateError,
} from './intrinsics.ts';
import { NO_EFFECT_TYPES } from './no-effect.ts';
import type { StackOutputRecord, StackRecord, StackResourceRecord, Stacks } from './stacks.ts';
import { creationOrder, type Template, type TemplateResource } from './template.ts';

export class DeployError extends Error {
  override name = 'DeployError';
}

export interface DeployerOptions {
  providers: ReadonlyMap<string, ResourceProvider>;
  stacks: Stacks;
  /** SSM parameters the template's `AWS::SSM::Parameter::Value<…>` parameters read (CDK's bootstrap version). */
  ssmParameters?: Record<string, string>;
}

export interface DeployRequest {
  stackName: string;
  account: string;
  region: string;
  template: Template;
  parameters?: Record<string, string>;
  /** Rewrites a resource's resolved properties before its provider sees them (a function's code location). */
  prepare?: (
    logicalId: string,
    resource: TemplateResource,
    properties: Record<string, unknown>,
  ) => Record<string, unknown>;
  /** Rewrites an output's value (an API's AWS URL to the local cloud's). */
  localizeOutput?: (value: string) => string;
}

/** What the local cloud does with each resource of a template. */
export interface TemplatePlan {
  supported: { logicalId: string; type: string }[];
  noEffect: { logicalId: string; type: string }[];
  unsupported: { logicalId: string; type: string }[];
}

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
/** What CDK's bootstrap stack would say today; its template asks for at least 6. */
const DEFAULT_SSM = { '/cdk-bootstrap/hnb659fds/version': '30' };

export class Deployer {
  constructor(private readonly options: DeployerOptions) {}

  plan(template: Template): TemplatePlan {
    const plan: TemplatePlan = { supported: [], noEffect: [], unsupported: [] };
    for (const [logicalId, { Type: type }] of Object.entries(template.Resources)) {
      const entry = { logicalId, type };
      if (this.options.providers.has(type)) plan.supported.push(entry);
      else if (type in NO_EFFECT_TYPES) plan.noEffect.push(entry);
      else plan.unsupported.push(entry);
    }
    return plan;
  }

  async deploy(request: DeployRequest): Promise<StackRecord> {
    if (!STACK_NAME.test(request.stackName))
      throw new DeployError(
        `'${request.stackName}' is not a stack name (a letter, then letters, digits and -)`,
      );
    const unsupported = this.plan(request.template).unsupported;
    if (unsupported.length > 0) {
      throw new DeployError(
        `the local cloud cannot deploy ${request.stackName}: ${unsupported
          .map(({ logicalId, type }) => `${logicalId} is ${type}`)
          .join(', ')}, which it does not support`,
      );
    }
    const { stacks } = this.options;
    const existing = stacks.find(request.account, request.region, request.stackName);
    const now = new Date().toISOString();
    const stack: StackRecord = existing ?? {
      name: request.stackName,
      id: `arn:aws:cloudformation:${request.region}:${request.account}:stack/${request.stackName}/${randomUUID()}`,
      account: request.account,
      region: request.region,
      status: 'CREATE_IN_PROGRESS',
      createdAt: now,
      template: request.template,
      parameters: {},
      resources: {},
      outputs: [],
    };
    if (existing === undefined) stacks.add(stack);
    else stack.status = 'UPDATE_IN_PROGRESS';
    const identity: StackIdentity = {
      name: stack.name,
      id: stack.id,
      account: stack.account,
      region: stack.region,
    };
    const parameters = this.parameterValues(request, identity);
    const base = {
      parameters,
      mappings: request.template.Mappings,
      exports: stacks.exports(stack.account, stack.region),
      region: stack.region,
    };
    const conditions = evaluateConditions(request.template.Conditions, { ...base, resources: {} });
    this.checkRules(request.template, { ...base, conditions, resources: {} });

    const previous = { ...stack.resources };
    const made: Record<string, StackResourceRecord> = {};
    const replaced: StackResourceRecord[] = [];
    const context: ResolveContext = { ...base, conditions, resources: made };
    const wanted = Object.fromEntries(
      Object.entries(request.template.Resources).filter(
        ([, resource]) => resource.Condition === undefined || conditions[resource.Condition] === true,
      ),
    );
    try {
      for (const logicalId of creationOrder(wanted)) {
        const resource = wanted[logicalId] as TemplateResource;
        const resolved = resolveValue(
          resource.Properties ?? {},
          context,
          `Resources.${logicalId}.Properties`,
        );
        const properties =
          request.prepare?.(logicalId, resource, resolved as Record<string, unknown>) ??
          (resolved as Record<string, unknown>);
        const before = previous[logicalId];
        made[logicalId] = await this.apply(identity, logicalId, resource, properties, before, replaced);
      }
    } catch (error) {
      // As CloudFormation rolls back: what this deploy created goes; what was there stays.
      for (const [logicalId, record] of Object.entries(made).reverse()) {
        if (previous[logicalId]?.physicalId === record.physicalId) continue;
        await this.remove(identity, record).catch(() => undefined);
      }
      stack.status = existing === undefined ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE';
      stack.statusReason = error instanceof Error ? error.message : String(error);
      if (existing === undefined) stack.resources = {};
      throw error instanceof DeployError || error instanceof TemplateError
        ? error
        : new DeployError(`${request.stackName}: ${stack.statusReason}`, { cause: error });
    }
    // Resources the new template dropped, then the old halves of replacements.
    const dropped = Object.values(previous).filter((record) => !(record.logicalId in made));
    for (const record of [...dropped.reverse(), ...replaced]) {
      await this.remove(identity, record);
    }
    stack.resources = made;
    stack.template = request.template;
    stack.parameters = Object.fromEntries(
      Object.keys(request.template.Parameters).map((name) => [name, String(parameters[name])]),
    );
    stack.outputs = this.outputs(request, context);
    stack.status = existing === undefined ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE';
    stack.updatedAt = existing === undefined ? undefined : new Date().toISOString();
    stack.statusReason = undefined;
    if (request.template.Description !== undefined) stack.description = request.template.Description;
    return stack;
  }

  /**
   * Brings the stacks restored from `--data` back to life: each resource whose service keeps
   * part of it in memory only is reattached, in creation order.
   */
  async reattach(): Promise<void> {
    for (const stack of this.options.stacks.snapshot()) {
      const identity: StackIdentity = {
        name: stack.name,
        id: stack.id,
        account: stack.account,
        region: stack.region,
      };
      const order = creationOrder(
        Object.fromEntries(
          Object.entries(stack.template.Resources).filter(([logicalId]) => logicalId in stack.resources),
        ),
      );
      for (const logicalId of order) {
        const record = stack.resources[logicalId] as StackResourceRecord;
        const provider = this.options.providers.get(record.type);
        if (record.noEffect || provider?.reattach === undefined) continue;
        await provider.reattach({
          ...this.request(identity, logicalId, record.properties),
          physicalId: record.physicalId,
          attributes: record.attributes,
        });
      }
    }
  }

  /** Deletes a stack: every resource in reverse order, except what `DeletionPolicy: Retain` keeps. */
  async delete(account: string, region: string, nameOrId: string): Promise<StackRecord | undefined> {
    const stack = this.options.stacks.find(account, region, nameOrId);
    if (stack === undefined) return undefined;
    stack.status = 'DELETE_IN_PROGRESS';
    const identity: StackIdentity = { name: stack.name, id: stack.id, account, region };
    const order = creationOrder(
      Object.fromEntries(
        Object.entries(stack.template.Resources).filter(([logicalId]) => logicalId in stack.resources),
      ),
    ).reverse();
    try {
      for (const logicalId of order) {
        const record = stack.resources[logicalId] as StackResourceRecord;
        const resource = stack.template.Resources[logicalId];
        if (resource?.DeletionPolicy === 'Retain' || resource?.DeletionPolicy === 'RetainExceptOnCreate') {
          record.status = 'DELETE_SKIPPED';
          continue;
        }
        await this.remove(identity, record);
      }
    } catch (error) {
      stack.status = 'DELETE_FAILED';
      stack.statusReason = error instanceof Error ? error.message : String(error);
      throw error;
    }
    stack.status = 'DELETE_COMPLETE';
    stack.deletedAt = new Date().toISOString();
    return stack;
  }

  private async apply(
    stack: StackIdentity,
    logicalId: string,
    resource: TemplateResource,
    properties: Record<string, unknown>,
    before: StackResourceRecord | undefined,
    replaced: StackResourceRecord[],
  ): Promise<StackResourceRecord> {
    const request = this.request(stack, logicalId, properties);
    const record = (created: CreatedResource, noEffect: boolean): StackResourceRecord => ({
      logicalId,
      type: resource.Type,
      physicalId: created.physicalId,
      attributes: created.attributes,
      properties,
      status: before === undefined ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE',
      updatedAt: new Date().toISOString(),
      noEffect,
    });
    const noEffect = NO_EFFECT_TYPES[resource.Type];
    if (noEffect !== undefined) {
      const physicalId =
        before?.physicalId ?? noEffect.physicalId(stack, logicalId, request.generatedName, properties);
      return record({ physicalId, attributes: noEffect.attributes(stack, physicalId, properties) }, true);
    }
    const provider = this.options.providers.get(resource.Type) as ResourceProvider;
    if (before !== undefined && before.type === resource.Type) {
      if (JSON.stringify(before.properties) === JSON.stringify(properties)) return { ...before };
      const updated = provider.update
        ? await provider.update({ ...request, physicalId: before.physicalId, previous: before.properties })
        : 'replace';
      if (updated !== 'replace') return record(updated, false);
      // Replaced: the old one goes first, so that a fixed name is free for the new one.
      if (resource.UpdateReplacePolicy !== 'Retain') await this.remove(stack, before);
      return record(await provider.create(request), false);
    }
    if (before !== undefined) replaced.push(before);
    return record(await provider.create(request), false);
  }

  private async remove(stack: StackIdentity, record: StackResourceRecord): Promise<void> {
    if (record.noEffect) return;
    const provider = this.options.providers.get(record.type);
    if (provider === undefined) return;
    await provider.delete({
      ...this.request(stack, record.logicalId, record.properties),
      physicalId: record.physicalId,
    });
  }

  private request(
    stack: StackIdentity,
    logicalId: string,
    properties: Record<string, unknown>,
  ): ResourceRequest {
    return {
      logicalId,
      properties,
      stack,
      generatedName: (maxLength = 128) => generatedName(stack, logicalId, maxLength),
    };
  }

  private parameterValues(request: DeployRequest, stack: StackIdentity): Record<string, unknown> {
    const ssm = { ...DEFAULT_SSM, ...this.options.ssmParameters };
    const values: Record<string, unknown> = {
      'AWS::AccountId': stack.account,
      'AWS::Region': stack.region,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': stack.name,
      'AWS::StackId': stack.id,
      'AWS::NotificationARNs': [],
    };
    for (const [name, parameter] of Object.entries(request.template.Parameters)) {
      const given = request.parameters?.[name] ?? parameter.Default;
      if (given === undefined)
        throw new DeployError(`${request.stackName}: parameter ${name} has no value and no Default`);
      let value: unknown = given;
      if (parameter.Type.startsWith('AWS::SSM::Parameter::Value<')) {
        value = ssm[String(given) as keyof typeof ssm];
        if (value === undefined)
          throw new DeployError(
            `${request.stackName}: parameter ${name} reads SSM parameter ${String(given)}, which the local cloud does not have`,
          );
      } else if (parameter.Type === 'CommaDelimitedList' || parameter.Type.startsWith('List<')) {
        value = String(given).split(',');
      }
      if (
        parameter.AllowedValues !== undefined &&
        !parameter.AllowedValues.map(String).includes(String(value))
      )
        throw new DeployError(
          `${request.stackName}: parameter ${name} must be one of ${parameter.AllowedValues.join(', ')}, got '${String(value)}'`,
        );
      values[name] = value;
    }
    return values;
  }

  /** The template's Rules (CDK's bootstrap-version check): an assertion that fails stops the deploy. */
  private checkRules(template: Template, context: ResolveContext): void {
    for (const [name, rule] of Object.entries(template.Rules)) {
      if (rule.RuleCondition !== undefined && !ruleHolds(rule.RuleCondition, context, `Rules.${name}`))
        continue;
      for (const assertion of rule.Assertions ?? []) {
        if (!ruleHolds(assertion.Assert, context, `Rules.${name}`))
          throw new DeployError(
            `rule ${name} failed: ${assertion.AssertDescription ?? JSON.stringify(assertion.Assert)}`,
          );
      }
    }
  }

  private outputs(request: DeployRequest, context: ResolveContext): StackOutputRecord[] {
    const outputs: StackOutputRecord[] = [];
    for (const [key, output] of Object.entries(request.template.Outputs)) {
      if (output.Condition !== undefined && context.conditions[output.Condition] !== true) continue;
      const value = resolveValue(output.Value, context, `Outputs.${key}`);
      if (value === NO_VALUE) continue;
      const text = Array.isArray(value) ? value.join(',') : String(value);
      const exportName =
        output.Export === undefined
          ? undefined
          : String(resolveValue(output.Export.Name, context, `Outputs.${key}.Export`));
      outputs.push({
        key,
        value: request.localizeOutput?.(text) ?? text,
        ...(output.Description === undefined ? {} : { description: output.Description }),
        ...(exportName === undefined ? {} : { exportName }),
      });
    }
    return outputs;
  }
}

/** `Fn::Contains`, `Fn::EachMemberIn` and the condition functions, as a template's Rules use them. */
function ruleHolds(expression: unknown, context: ResolveContext, at: string): boolean {
  if (typeof expression !== 'object' || expression === null || Array.isArray(expression))
    throw new TemplateError(`${at}: a rule expression is a function`);
  const [[name, args] = ['', undefined]] = Object.entries(expression);
  const list = Array.isArray(args) ? args : [];
  switch (name) {
    case 'Fn::Contains': {
      const [values, value] = list.map((v) => resolveValue(v, context, at));
      return Array.isArray(values) && values.map(String).includes(String(value));
    }
    case 'Fn::Not':
      return !ruleHolds(list[0], context, at);
    case 'Fn::And':
      return list.every((item) => ruleHolds(item, context, at));
    case 'Fn::Or':
      return list.some((item) => ruleHolds(item, context, at));
    case 'Fn::Equals': {
      const [a, b] = list.map((v) => resolveValue(v, context, at));
      return String(a) === String(b);
    }
    default:
      throw new TemplateError(`${at}: the local cloud does not evaluate ${name} in Rules`);
  }
}

/**
 * A name as CloudFormation generates one: `<stack>-<logicalId>-<suffix>`, the suffix 12
 * upper-case letters and digits, stable for the stack and logical id (a redeploy keeps it),
 * the stack and logical id parts shortened to fit `maxLength`.
 */
export function generatedName(stack: StackIdentity, logicalId: string, maxLength: number): string {
  const digest = createHash('sha256').update(`${stack.id}/${logicalId}`).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const suffix = [...digest.subarray(0, 12)].map((byte) => alphabet[byte % alphabet.length]).join('');
  const room = maxLength - suffix.length - 2;
  let stackPart = stack.name;
  let logicalPart = logicalId;
  if (stackPart.length + logicalPart.length > room) {
    const half = Math.max(1, Math.floor(room / 2));
    stackPart = stackPart.slice(
      0,
      Math.max(1, Math.min(stackPart.length, room - Math.min(logicalPart.length, half))),
    );
    logicalPart = logicalPart.slice(0, Math.max(1, room - stackPart.length));
  }
  return `${stackPart}-${logicalPart}-${suffix}`;
}
