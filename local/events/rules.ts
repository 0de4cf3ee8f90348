/**
 * EventBridge rules of the local cloud: per account, region and bus, each with its event
 * pattern and/or schedule, its state and its targets, as a template's `AWS::Events::Rule`
 * states them. `ruleFromProperties` checks a template's properties the way PutRule and
 * PutTargets would, naming the field that is wrong.
 */
import { type EventPattern, parseEventPattern } from './pattern.ts';
import { parseSchedule } from './schedule.ts';
import { checkTargetInput, type InputTransformer } from './target-input.ts';

export class InvalidRuleError extends Error {
  override name = 'InvalidRuleError';
}

export interface RuleTarget {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: InputTransformer;
  RetryPolicy: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
  DeadLetterConfig?: { Arn: string };
}

export interface EventRule {
  account: string;
  region: string;
  busName: string;
  name: string;
  /** The event pattern as JSON text, as DescribeRule gives it back. */
  eventPattern?: string;
  scheduleExpression?: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  roleArn?: string;
  targets: RuleTarget[];
  /** When it was made (a rate schedule counts from it), on the cloud's clock. */
  createdAt: number;
  /** The stack that made it, for DescribeRule's ManagedBy-like provenance in logs. */
  stackName?: string;
}

/** `arn:aws:events:REGION:ACCOUNT:rule/NAME`, or `rule/BUS/NAME` on a custom bus. */
export const ruleArnOf = (rule: Pick<EventRule, 'account' | 'region' | 'busName' | 'name'>): string =>
  `arn:aws:events:${rule.region}:${rule.account}:rule/${rule.busName === 'default' ? '' : `${rule.busName}/`}${rule.name}`;

/** What CloudFormation's `Ref` of a rule returns: its name, or `BUS|NAME` on a custom bus. */
export const ruleRefOf = (rule: Pick<EventRule, 'busName' | 'name'>): string =>
  rule.busName === 'default' ? rule.name : `${rule.busName}|${rule.name}`;

export const busArnOf = (region: string, account: string, name: string): string =>
  `arn:aws:events:${region}:${account}:event-bus/${name}`;

const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const TARGET_ID = /^[.\-_A-Za-z0-9]{1,64}$/;
const ARN = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{0,12}:.+$/;
/** EventBridge's defaults for a target's retry policy. */
export const DEFAULT_RETRY_ATTEMPTS = 185;
export const DEFAULT_EVENT_AGE_SECONDS = 86_400;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function bad(field: string, value: unknown, why: string): never {
  throw new InvalidRuleError(`${field}: ${JSON.stringify(value)} ${why}`);
}

function optionalString(
  properties: Record<string, unknown>,
  field: string,
  path = field,
): string | undefined {
  const value = properties[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') bad(path, value, 'is not a string');
  return value;
}

function integer(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  // CloudFormation hands numbers over as strings as often as not.
  const number = typeof value === 'string' && /^-?[0-9]+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max)
    bad(field, value, `is not a whole number from ${min} to ${max}`);
  return number;
}

function parseTarget(value: unknown, index: number): RuleTarget {
  const field = `Targets[${index}]`;
  if (!isObject(value)) bad(field, value, 'is not an object');
  const id = optionalString(value, 'Id', `${field}.Id`);
  if (id === undefined || !TARGET_ID.test(id))
    bad(`${field}.Id`, id, 'is not a target id ([.-_A-Za-z0-9]{1,64})');
  const arn = optionalString(value, 'Arn', `${field}.Arn`);
  if (arn === undefined || !ARN.test(arn)) bad(`${field}.Arn`, arn, 'is not an ARN');
  const retry = value.RetryPolicy;
  if (retry !== undefined && !isObject(retry)) bad(`${field}.RetryPolicy`, retry, 'is not an object');
  const deadLetter = value.DeadLetterConfig;
  if (deadLetter !== undefined && !isObject(deadLetter))
    bad(`${field}.DeadLetterConfig`, deadLetter, 'is not an object');
  const deadLetterArn =
    deadLetter === undefined ? undefined : optionalString(deadLetter, 'Arn', `${field}.DeadLetterConfig.Arn`);
  if (deadLetterArn !== undefined && !/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:.+$/.test(deadLetterArn))
    bad(`${field}.DeadLetterConfig.Arn`, deadLetterArn, 'is not an SQS queue ARN');
  const transformer = value.InputTransformer;
  if (transformer !== undefined && !isObject(transformer))
    bad(`${field}.InputTransformer`, transformer, 'is not an object');
  const target: RuleTarget = {
    Id: id,
    Arn: arn,
    RetryPolicy: {
      MaximumRetryAttempts: integer(
        retry?.MaximumRetryAttempts,
        `${field}.RetryPolicy.MaximumRetryAttempts`,
        0,
        185,
        DEFAULT_RETRY_ATTEMPTS,
      ),
      MaximumEventAgeInSeconds: integer(
        retry?.MaximumEventAgeInSeconds,
        `${field}.RetryPolicy.MaximumEventAgeInSeconds`,
        60,
        86_400,
        DEFAULT_EVENT_AGE_SECONDS,
      ),
    },
  };
  const roleArn = optionalString(value, 'RoleArn', `${field}.RoleArn`);
  if (roleArn !== undefined) target.RoleArn = roleArn;
  const input = optionalString(value, 'Input', `${field}.Input`);
  if (input !== undefined) target.Input = input;
  const inputPath = optionalString(value, 'InputPath', `${field}.InputPath`);
  if (inputPath !== undefined) target.InputPath = inputPath;
  if (transformer !== undefined) {
    const paths = transformer.InputPathsMap;
    if (paths !== undefined && !isObject(paths))
      bad(`${field}.InputTransformer.InputPathsMap`, paths, 'is not an object');
    target.InputTransformer = {
      InputTemplate: String(transformer.InputTemplate ?? ''),
      ...(paths === undefined ? {} : { InputPathsMap: paths as Record<string, string> }),
    };
  }
  if (deadLetterArn !== undefined) target.DeadLetterConfig = { Arn: deadLetterArn };
  try {
    checkTargetInput(target, field);
  } catch (error) {
    throw new InvalidRuleError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  return target;
}

/** The bus an `EventBusName` names (a name or an ARN); the default bus when absent. */
export function busNameFrom(value: unknown): string {
  if (value === undefined || value === null || value === '') return 'default';
  if (typeof value !== 'string') bad('EventBusName', value, 'is not a bus name or ARN');
  const arn = /^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus\/([/.\-_A-Za-z0-9]{1,256})$/.exec(value);
  if (arn !== null) return arn[1] ?? 'default';
  if (!/^[/.\-_A-Za-z0-9]{1,256}$/.test(value)) bad('EventBusName', value, 'is not a bus name or ARN');
  return value;
}

export interface RulePlacement {
  account: string;
  region: string;
  name: string;
  createdAt: number;
  stackName?: string;
}

/** A rule from `AWS::Events::Rule` properties (intrinsics resolved), checked as PutRule and PutTargets check. */
export function ruleFromProperties(properties: Record<string, unknown>, placement: RulePlacement): EventRule {
  if (!RULE_NAME.test(placement.name))
    bad('Name', placement.name, 'is not a rule name ([.-_A-Za-z0-9]{1,64})');
  const busName = busNameFrom(properties.EventBusName);
  const rawPattern = properties.EventPattern;
  let eventPattern: string | undefined;
  if (rawPattern !== undefined && rawPattern !== null) {
    eventPattern = typeof rawPattern === 'string' ? rawPattern : JSON.stringify(rawPattern);
    try {
      parseEventPattern(eventPattern);
    } catch (error) {
      throw new InvalidRuleError(`EventPattern: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  }
  const scheduleExpression = optionalString(properties, 'ScheduleExpression');
  if (scheduleExpression !== undefined) {
    if (busName !== 'default')
      bad('ScheduleExpression', scheduleExpression, 'is supported only on the default event bus');
    try {
      parseSchedule(scheduleExpression);
    } catch (error) {
      throw new InvalidRuleError(
        `ScheduleExpression: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
  }
  if (eventPattern === undefined && scheduleExpression === undefined)
    throw new InvalidRuleError('a rule needs an EventPattern, a ScheduleExpression or both');
  const state = properties.State ?? 'ENABLED';
  if (
    state !== 'ENABLED' &&
    state !== 'DISABLED' &&
    state !== 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'
  )
    bad('State', state, 'is not ENABLED or DISABLED');
  const rawTargets = properties.Targets ?? [];
  if (!Array.isArray(rawTargets)) bad('Targets', rawTargets, 'is not a list');
  if (rawTargets.length > 5) bad('Targets', `${rawTargets.length} targets`, 'is over the limit of 5 a rule');
  const targets = rawTargets.map(parseTarget);
  const ids = new Set<string>();
  for (const target of targets) {
    if (ids.has(target.Id)) bad('Targets', target.Id, 'is a target id given twice');
    ids.add(target.Id);
  }
  const rule: EventRule = {
    account: placement.account,
    region: placement.region,
    busName,
    name: placement.name,
    state: state === 'DISABLED' ? 'DISABLED' : 'ENABLED',
    targets,
    createdAt: placement.createdAt,
  };
  if (eventPattern !== undefined) rule.eventPattern = eventPattern;
  if (scheduleExpression !== undefined) rule.scheduleExpression = scheduleExpression;
  const description = optionalString(properties, 'Description');
  if (description !== undefined) rule.description = description;
  const roleArn = optionalString(properties, 'RoleArn');
  if (roleArn !== undefined) rule.roleArn = roleArn;
  if (placement.stackName !== undefined) rule.stackName = placement.stackName;
  return rule;
}

const keyOf = (account: string, region: string, busName: string, name: string) =>
  `${account}/${region}/${busName}/${name}`;

/** The rules, with each pattern parsed once. */
export class EventRules {
  readonly #rules = new Map<string, { rule: EventRule; pattern: EventPattern | undefined }>();

  put(rule: EventRule): void {
    const pattern = rule.eventPattern === undefined ? undefined : parseEventPattern(rule.eventPattern);
    this.#rules.set(keyOf(rule.account, rule.region, rule.busName, rule.name), { rule, pattern });
  }

  remove(account: string, region: string, busName: string, name: string): EventRule | undefined {
    const key = keyOf(account, region, busName, name);
    const entry = this.#rules.get(key);
    this.#rules.delete(key);
    return entry?.rule;
  }

  get(account: string, region: string, busName: string, name: string): EventRule | undefined {
    return this.#rules.get(keyOf(account, region, busName, name))?.rule;
  }

  /** A bus's rules, sorted by name, those starting with `prefix` when given. */
  list(account: string, region: string, busName: string, prefix = ''): EventRule[] {
    return [...this.#rules.values()]
      .map((entry) => entry.rule)
      .filter(
        (rule) =>
          rule.account === account &&
          rule.region === region &&
          rule.busName === busName &&
          rule.name.startsWith(prefix),
      )
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The enabled rules of a bus with a pattern: whether the event matches is the caller's question. */
  withPatterns(
    account: string,
    region: string,
    busName: string,
  ): Array<{ rule: EventRule; pattern: EventPattern }> {
    const found: Array<{ rule: EventRule; pattern: EventPattern }> = [];
    for (const { rule, pattern } of this.#rules.values()) {
      if (pattern === undefined || rule.state === 'DISABLED') continue;
      if (rule.account === account && rule.region === region && rule.busName === busName)
        found.push({ rule, pattern });
    }
    return found;
  }

  all(): EventRule[] {
    return [...this.#rules.values()].map((entry) => entry.rule);
  }

  clear(): void {
    this.#rules.clear();
  }
}
