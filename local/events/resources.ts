/**
 * The CloudFormation resource types EventBridge creates: `AWS::Events::EventBus` (Ref = name;
 * Arn, Name, Policy) and `AWS::Events::Rule` (Ref = the rule's name, or `BUS|NAME` on a
 * custom bus, as CloudFormation answers; Arn `…:rule/NAME` or `…:rule/BUS/NAME`). Both are
 * changed in place where CloudFormation would; a new name or bus replaces.
 */
import type { PolicyDocument } from '../iam/authorizer.ts';
import type { CreatedResource, ResourceProvider, ResourceRequest } from '../service.ts';
import type { EventBuses } from './buses.ts';
import type { RuleSchedules } from './rule-schedules.ts';
import {
  busArnOf,
  busNameFrom,
  type EventRule,
  type EventRules,
  InvalidRuleError,
  ruleArnOf,
  ruleFromProperties,
  ruleRefOf,
} from './rules.ts';

const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;

/** A bus's resource policy, per account, region and name. */
export class BusPolicies {
  readonly #policies = new Map<string, PolicyDocument>();

  static key(account: string, region: string, name: string): string {
    return `${account}/${region}/${name}`;
  }

  get(region: string, account: string, name: string): PolicyDocument | undefined {
    return this.#policies.get(BusPolicies.key(account, region, name));
  }

  set(account: string, region: string, name: string, policy: PolicyDocument | undefined): void {
    const key = BusPolicies.key(account, region, name);
    if (policy === undefined) this.#policies.delete(key);
    else this.#policies.set(key, policy);
  }

  entries(): Array<[string, PolicyDocument]> {
    return [...this.#policies].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  restore(entries: ReadonlyArray<[string, PolicyDocument]>): void {
    this.#policies.clear();
    for (const [key, policy] of entries) this.#policies.set(key, policy);
  }
}

function policyFrom(value: unknown): PolicyDocument | undefined {
  if (value === undefined || value === null) return undefined;
  const policy = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (
    typeof policy !== 'object' ||
    policy === null ||
    !Array.isArray((policy as { Statement?: unknown }).Statement)
  )
    throw new InvalidRuleError(
      `Policy: ${JSON.stringify(value)} is not a policy document with a Statement list`,
    );
  return policy as PolicyDocument;
}

export function eventBusProvider(buses: EventBuses, policies: BusPolicies): ResourceProvider {
  const nameOf = (request: ResourceRequest): string => {
    const name = request.properties.Name;
    if (typeof name !== 'string' || !BUS_NAME.test(name))
      throw new InvalidRuleError(
        `Name: ${JSON.stringify(name)} is not an event bus name ([/.-_A-Za-z0-9]{1,256})`,
      );
    if (name === 'default' || name.startsWith('aws.'))
      throw new InvalidRuleError(`Name: event bus name ${name} is reserved`);
    return name;
  };
  const created = (
    request: ResourceRequest,
    name: string,
    policy: PolicyDocument | undefined,
  ): CreatedResource => ({
    physicalId: name,
    attributes: {
      Arn: busArnOf(request.stack.region, request.stack.account, name),
      Name: name,
      ...(policy === undefined ? {} : { Policy: JSON.stringify(policy) }),
    },
  });
  return {
    type: 'AWS::Events::EventBus',
    async create(request) {
      const name = nameOf(request);
      const { account, region } = request.stack;
      if (buses.exists(account, region, name))
        throw new InvalidRuleError(`Name: event bus ${name} already exists`);
      const policy = policyFrom(request.properties.Policy);
      buses.createBus(account, region, name);
      policies.set(account, region, name, policy);
      return created(request, name, policy);
    },
    async update(request) {
      const name = nameOf(request);
      if (name !== request.physicalId) return 'replace';
      const policy = policyFrom(request.properties.Policy);
      policies.set(request.stack.account, request.stack.region, name, policy);
      return created(request, name, policy);
    },
    async delete(request) {
      buses.deleteBus(request.stack.account, request.stack.region, request.physicalId);
      policies.set(request.stack.account, request.stack.region, request.physicalId, undefined);
    },
  };
}

/**
 * `AWS::Events::EventBusPolicy`: one statement (by its `StatementId`) of a bus's resource
 * policy, as PutPermission adds it; the bus's other statements stay. Ref = the statement id.
 */
export function eventBusPolicyProvider(buses: EventBuses, policies: BusPolicies): ResourceProvider {
  const statementOf = (
    request: ResourceRequest,
  ): { bus: string; sid: string; statement: Record<string, unknown> } => {
    const { EventBusName, StatementId, Statement } = request.properties;
    const bus = busNameFrom(EventBusName);
    if (!buses.exists(request.stack.account, request.stack.region, bus))
      throw new InvalidRuleError(`EventBusName: event bus ${bus} does not exist`);
    if (typeof StatementId !== 'string' || !/^[a-zA-Z0-9-_]{1,64}$/.test(StatementId))
      throw new InvalidRuleError(
        `StatementId: ${JSON.stringify(StatementId)} is not a statement id ([a-zA-Z0-9-_]{1,64})`,
      );
    if (typeof Statement !== 'object' || Statement === null || Array.isArray(Statement))
      throw new InvalidRuleError(
        `Statement: ${JSON.stringify(Statement)} is not a policy statement (the local cloud takes the Statement form only)`,
      );
    return {
      bus,
      sid: StatementId,
      statement: { ...(Statement as Record<string, unknown>), Sid: StatementId },
    };
  };
  const without = (policy: PolicyDocument | undefined, sid: string): Record<string, unknown>[] =>
    (policy?.Statement ?? []).filter((statement) => statement.Sid !== sid);
  const put = (request: ResourceRequest): CreatedResource => {
    const { account, region } = request.stack;
    const { bus, sid, statement } = statementOf(request);
    const current = policies.get(region, account, bus);
    policies.set(account, region, bus, {
      Version: '2012-10-17',
      Statement: [...without(current, sid), statement],
    });
    return { physicalId: sid, attributes: {} };
  };
  return {
    type: 'AWS::Events::EventBusPolicy',
    create: async (request) => put(request),
    async update(request) {
      const { bus, sid } = statementOf(request);
      if (sid !== request.physicalId || bus !== busNameFrom(request.previous.EventBusName)) return 'replace';
      return put(request);
    },
    async delete(request) {
      const { account, region } = request.stack;
      const bus = busNameFrom(request.properties.EventBusName);
      const rest = without(policies.get(region, account, bus), request.physicalId);
      policies.set(
        account,
        region,
        bus,
        rest.length === 0 ? undefined : { Version: '2012-10-17', Statement: rest },
      );
    },
  };
}

/** `NAME` or `BUS|NAME`, the rule's physical id, back into bus and name. */
export function ruleOfPhysicalId(physicalId: string): { busName: string; name: string } {
  const bar = physicalId.lastIndexOf('|');
  return bar < 0
    ? { busName: 'default', name: physicalId }
    : { busName: physicalId.slice(0, bar), name: physicalId.slice(bar + 1) };
}

export function eventRuleProvider(
  buses: EventBuses,
  rules: EventRules,
  schedules: RuleSchedules,
  clock: { now(): number },
): ResourceProvider {
  const created = (rule: EventRule): CreatedResource => ({
    physicalId: ruleRefOf(rule),
    attributes: { Arn: ruleArnOf(rule) },
  });
  const build = (request: ResourceRequest, name: string, createdAt: number): EventRule => {
    const rule = ruleFromProperties(request.properties, {
      account: request.stack.account,
      region: request.stack.region,
      name,
      createdAt,
      stackName: request.stack.name,
    });
    if (!buses.exists(rule.account, rule.region, rule.busName))
      throw new InvalidRuleError(`EventBusName: event bus ${rule.busName} does not exist`);
    return rule;
  };
  const nameOf = (request: ResourceRequest): string => {
    const name = request.properties.Name;
    if (name === undefined || name === null) return request.generatedName(64);
    if (typeof name !== 'string') throw new InvalidRuleError(`Name: ${JSON.stringify(name)} is not a string`);
    return name;
  };
  return {
    type: 'AWS::Events::Rule',
    async create(request) {
      const rule = build(request, nameOf(request), clock.now());
      if (rules.get(rule.account, rule.region, rule.busName, rule.name) !== undefined)
        throw new InvalidRuleError(`Name: rule ${rule.name} already exists on event bus ${rule.busName}`);
      rules.put(rule);
      schedules.arm(rule);
      return created(rule);
    },
    async update(request) {
      const { busName, name } = ruleOfPhysicalId(request.physicalId);
      const givenName = request.properties.Name;
      if (
        (givenName !== undefined && givenName !== name) ||
        busNameFrom(request.properties.EventBusName) !== busName
      )
        return 'replace';
      const { account, region } = request.stack;
      const previous = rules.get(account, region, busName, name);
      const rule = build(request, name, previous?.createdAt ?? clock.now());
      rules.put(rule);
      schedules.arm(rule);
      return created(rule);
    },
    async delete(request) {
      const { busName, name } = ruleOfPhysicalId(request.physicalId);
      const { account, region } = request.stack;
      const removed = rules.remove(account, region, busName, name);
      if (removed !== undefined) schedules.disarm(removed);
    },
  };
}
