/**
 * A rule set: defaults, service settings and rules, validated and compiled into indexes
 * so that evaluating a connection touches only the rules that could match it.
 *
 * Loaded from rules-table items (`ruleSetFromItems`) or YAML files (`ruleSetFromFiles` in
 * rule-files.ts, kept apart so the Lambdas never bundle a YAML parser).
 * Invalid input fails closed, by kind (DESIGN §3): an invalid service item holds that
 * service (no EC2 action at all on its connections); an invalid defaults item holds every
 * service that takes any setting from the defaults; an invalid accept rule is left out
 * (it could only have added accepts); an invalid reject or review rule, or one whose
 * effect cannot be read, is undetermined, so every connection in its scope is held for
 * review. An item whose kind or service cannot be read might have been any of these, so
 * it counts as all of them that could apply.
 */
import { isRuleFileItem } from '../../shared/tables.ts';
import { type DecisionRecord, EFFECTS, type Effect } from '../decision-record.ts';
import { parseIsoDuration, parseIsoTimestamp } from '../iso8601.ts';
import {
  isOperatorKind,
  type OperatorDecision,
  type OperatorDecisionItem,
  OperatorDecisionItemSchema,
  operatorDecisionItem,
  operatorDecisionOf,
  strongerDecision,
} from './operator-decisions.ts';
import { formatProblem, issuesToProblems, type ProblemScope, problemAt } from './problems.ts';
import {
  type Defaults,
  DefaultsItemSchema,
  PATTERNS,
  type Rule,
  type RuleItem,
  RuleOnlyItemSchema,
  ServiceItemSchema,
  type ServiceSettings,
  TAG_VALUE_MAX,
} from './schema.ts';

export { parseIsoDuration } from '../iso8601.ts';
export { formatProblem, type RuleProblem } from './problems.ts';
export type { Defaults, Rule, RuleItem, ServiceSettings } from './schema.ts';

import type { RuleProblem } from './problems.ts';

export interface Settings {
  defaultEffect: Effect;
  pendingTtl: string;
  pendingTtlMs: number;
  onRevoke: 'notify' | 'reject';
  mode: 'enforce' | 'dry-run' | 'off';
  /**
   * Set when an invalid settings item leaves the service's settings unknown: the service is
   * held, and nothing may act on its connections until the item is fixed.
   */
  held?: InvalidRule;
}

/** What applies when neither a service nor the defaults say otherwise. */
export const BUILT_IN_SETTINGS: Readonly<Settings> = Object.freeze({
  defaultEffect: 'review',
  pendingTtl: 'P7D',
  pendingTtlMs: 7 * 86_400_000,
  onRevoke: 'notify',
  mode: 'enforce',
});

/**
 * An item that failed validation. A settings item holds services; a rule whose effect is
 * accept is left out; any other acts as an undetermined reject rule (see the module comment).
 */
export interface InvalidRule {
  /** The item's id, or `<source>#<path>` when it has none that can be read. */
  id: string;
  /** 'rule' | 'service' | 'defaults' | 'file' | the unknown kind a table item had. */
  kind: string;
  /** The services an invalid rule names, when they can be read; absent: every service. */
  services?: string[];
  /** A rule's effect, when it can be read. */
  effect?: Effect;
  /**
   * The settings it may have been, so holds: one service's id, or ANY_SERVICE (the
   * defaults, or settings of a service nobody can tell). Absent: it holds no service.
   */
  holds?: string;
  /** Whether it may have been a reject or review rule, so it is undetermined in its scope (`services`). */
  undetermined?: boolean;
  problems: RuleProblem[];
}

/** `InvalidRule.holds` of an item that may have set the settings of any service. */
export const ANY_SERVICE = '*';

/** What an invalid item's own fields say it may have been: its kind, its id, its body. */
export interface InvalidEvidence {
  kind: unknown;
  id: unknown;
  body: unknown;
}

/** A rule ready to evaluate: lists turned into sets, timestamps into epoch ms. */
export interface CompiledRule {
  readonly id: string;
  readonly effect: Effect;
  /** The validated rule; absent for an invalid item. */
  readonly rule?: Rule;
  /** Set for an invalid item: it is always undetermined and counts as a reject rule. */
  readonly invalid?: InvalidRule;
  readonly services?: ReadonlySet<string>;
  readonly accounts?: ReadonlySet<string>;
  readonly endpoints?: ReadonlySet<string>;
  readonly organizations?: ReadonlySet<string>;
  readonly organizationalUnits?: ReadonlySet<string>;
  readonly regions?: ReadonlySet<string>;
  /** true: the endpoint's region must differ from the service's; false: must be the same. */
  readonly crossRegion?: boolean;
  readonly ipAddressTypes?: ReadonlySet<string>;
  readonly tags?: readonly (readonly [string, string])[];
  readonly maxEndpointsPerAccount?: number;
  /** Epoch ms; -Infinity when absent. */
  readonly validFrom: number;
  /** Epoch ms; +Infinity when absent. */
  readonly validUntil: number;
  readonly pendingTtlMs?: number;
  readonly usesOrganization: boolean;
}

/** Rules of one scope (a service, or every service), by the key that selects them. */
export interface RuleBucket {
  /** Rules with an endpoints condition, under each endpoint they list. */
  readonly byEndpoint: ReadonlyMap<string, readonly CompiledRule[]>;
  /** Rules with an accounts condition and no endpoints condition, under each account. */
  readonly byAccount: ReadonlyMap<string, readonly CompiledRule[]>;
  /** Rules with neither: candidates for every connection. */
  readonly unkeyed: readonly CompiledRule[];
  /** Rules with an organizations or organizationalUnits condition. */
  readonly organizationRules: readonly CompiledRule[];
}

export interface RuleIndex {
  /** Every compiled rule, enabled ones and invalid items, sorted by id. */
  readonly all: readonly CompiledRule[];
  /** Rules without a services field. */
  readonly everyService: RuleBucket;
  readonly byService: ReadonlyMap<string, RuleBucket>;
  readonly byId: ReadonlyMap<string, CompiledRule>;
  readonly invalidDefaults?: InvalidRule;
  readonly invalidServices: ReadonlyMap<string, InvalidRule>;
  /**
   * Invalid items that may have been the settings of any service: the defaults, a service
   * item whose service cannot be read, an item of unknown kind, a file that cannot be read.
   * Each holds every service without complete settings of its own. Sorted by id.
   */
  readonly heldByAny: readonly InvalidRule[];
}

export interface RuleSet {
  /** Valid rules (disabled ones included), sorted by id. */
  readonly rules: readonly Rule[];
  /** The defaults item; undefined when there is none or it is invalid. */
  readonly defaults: Defaults | undefined;
  /** Valid service settings by service id. */
  readonly services: ReadonlyMap<string, ServiceSettings>;
  readonly invalid: readonly InvalidRule[];
  readonly index: RuleIndex;
  /** Operators' approvals and denials by endpoint id (operator-decisions.ts). */
  readonly operatorDecisions?: ReadonlyMap<string, OperatorDecision>;
}

export interface LoadedRuleSet {
  ruleSet: RuleSet;
  /** The first `MAX_LISTED_PROBLEMS` problems found. */
  problems: RuleProblem[];
  /** Every problem found, listed or not. */
  problemCount: number;
}

/** How many problems a rule set lists in all; the rest are counted (`problemCount`). */
export const MAX_LISTED_PROBLEMS = 100;

const EMPTY: readonly CompiledRule[] = Object.freeze([]);

// ---------------------------------------------------------------------------------------
// Building

interface Origin {
  source: string;
  where: string;
}

/** Collects valid and invalid items from any source, detects duplicates, then compiles. */
export class RuleSetBuilder {
  private readonly rules = new Map<string, Rule>();
  private readonly ruleOrigins = new Map<string, Origin>();
  private defaults: { value: Defaults; origin: Origin } | undefined;
  private defaultsInvalid: InvalidRule | undefined;
  private readonly services = new Map<string, { value: ServiceSettings; origin: Origin }>();
  private readonly invalidServices = new Map<string, InvalidRule>();
  private readonly invalid: InvalidRule[] = [];
  private readonly operatorDecisions = new Map<string, OperatorDecision>();
  readonly problems: RuleProblem[] = [];
  private problemCount = 0;

  addOperatorDecision(decision: OperatorDecision): void {
    const current = this.operatorDecisions.get(decision.endpointId);
    this.operatorDecisions.set(decision.endpointId, strongerDecision(current, decision));
  }

  /** Claims a rule id; returns a problem when another item already has it. */
  claimRuleId(id: string, origin: Origin, scope: ProblemScope): RuleProblem | undefined {
    const first = this.ruleOrigins.get(id);
    if (first === undefined) {
      this.ruleOrigins.set(id, origin);
      return undefined;
    }
    const elsewhere =
      first.source === origin.source
        ? `also defined at ${first.where} of this file`
        : `also defined in ${first.source}`;
    return problemAt(scope, ['id'], `is a duplicate: rule ${JSON.stringify(id)} is ${elsewhere}`);
  }

  addRule(rule: Rule): void {
    this.rules.set(rule.id, rule);
  }

  /**
   * Records an invalid item and what it holds. `evidence` (the item's kind, id and fields)
   * tells what the item may have been; without it, its stated kind is taken at its word.
   */
  addInvalid(entry: InvalidRule, evidence?: InvalidEvidence): void {
    const id = entry.kind === 'service' ? (entry.services?.[0] ?? entry.id) : entry.id;
    failClosed(entry, evidence ?? { kind: entry.kind, id, body: undefined });
    this.invalid.push(entry);
    // One at a time: spreading a huge list into push() overflows the call stack.
    for (const problem of entry.problems) {
      this.problemCount += problem.unlisted ?? 1;
      if (this.problems.length < MAX_LISTED_PROBLEMS) this.problems.push(problem);
    }
    // Settings given twice, one of them invalid, hold as if both were invalid.
    if (entry.kind === 'defaults') {
      this.defaultsInvalid = entry;
      this.defaults = undefined;
    }
    if (entry.holds !== undefined && entry.holds !== ANY_SERVICE) {
      if (!this.invalidServices.has(entry.holds)) this.invalidServices.set(entry.holds, entry);
      if (entry.kind === 'service') this.services.delete(entry.holds);
    }
  }

  addDefaults(value: Defaults, origin: Origin, scope: ProblemScope): void {
    if (this.defaults === undefined && this.defaultsInvalid === undefined) {
      this.defaults = { value, origin };
      return;
    }
    const first = this.defaults?.origin.source ?? this.defaultsInvalid?.problems[0]?.source ?? 'another item';
    this.defaults = undefined;
    this.addInvalid({
      id: 'defaults',
      kind: 'defaults',
      problems: [
        problemAt(
          scope,
          [],
          `are given twice (also in ${first}); every service without complete settings of its own is held`,
        ),
      ],
    });
  }

  addService(id: string, value: ServiceSettings, origin: Origin, scope: ProblemScope): void {
    const first = this.services.get(id);
    if (first === undefined && !this.invalidServices.has(id)) {
      this.services.set(id, { value, origin });
      return;
    }
    this.services.delete(id);
    const where = first?.origin.source ?? 'another item';
    this.addInvalid({
      id,
      kind: 'service',
      services: [id],
      problems: [problemAt(scope, [], `settings are given twice (also in ${where}); the service is held`)],
    });
  }

  build(): LoadedRuleSet {
    const rules = [...this.rules.values()].sort((a, b) => compareIds(a.id, b.id));
    const services = new Map([...this.services].map(([id, entry]) => [id, entry.value] as const));
    const invalid = [...this.invalid].sort((a, b) => compareIds(a.id, b.id) || compareIds(a.kind, b.kind));
    const ruleSet: RuleSet = {
      rules,
      defaults: this.defaults?.value,
      services,
      invalid,
      index: buildIndex(rules, invalid, this.defaultsInvalid, this.invalidServices),
      operatorDecisions: new Map(this.operatorDecisions),
    };
    return { ruleSet, problems: this.problems, problemCount: this.problemCount };
  }
}

/** Ids compare by code unit, the same in every locale. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compileRule(rule: Rule): CompiledRule {
  const match = rule.match ?? {};
  const set = (values: readonly string[] | undefined) => (values === undefined ? undefined : new Set(values));
  return {
    id: rule.id,
    effect: rule.effect,
    rule,
    services: set(rule.services),
    accounts: set(match.accounts),
    endpoints: set(match.endpoints),
    organizations: set(match.organizations),
    organizationalUnits: set(match.organizationalUnits),
    regions: set(match.regions),
    crossRegion: match.crossRegion,
    ipAddressTypes: set(match.ipAddressTypes),
    tags: match.tags === undefined ? undefined : Object.entries(match.tags),
    maxEndpointsPerAccount: rule.limits?.maxEndpointsPerAccount,
    validFrom: rule.validFrom === undefined ? -Infinity : (parseIsoTimestamp(rule.validFrom) ?? Infinity),
    validUntil: rule.validUntil === undefined ? Infinity : (parseIsoTimestamp(rule.validUntil) ?? -Infinity),
    pendingTtlMs: rule.pendingTtl === undefined ? undefined : parseIsoDuration(rule.pendingTtl),
    usesOrganization: match.organizations !== undefined || match.organizationalUnits !== undefined,
  };
}

function compileInvalid(entry: InvalidRule): CompiledRule {
  return {
    id: entry.id,
    effect: 'reject',
    invalid: entry,
    services: entry.services === undefined ? undefined : new Set(entry.services),
    validFrom: -Infinity,
    validUntil: Infinity,
    usesOrganization: false,
  };
}

interface MutableBucket {
  byEndpoint: Map<string, CompiledRule[]>;
  byAccount: Map<string, CompiledRule[]>;
  unkeyed: CompiledRule[];
  organizationRules: CompiledRule[];
}

const newBucket = (): MutableBucket => ({
  byEndpoint: new Map(),
  byAccount: new Map(),
  unkeyed: [],
  organizationRules: [],
});

function addTo(map: Map<string, CompiledRule[]>, key: string, rule: CompiledRule): void {
  const list = map.get(key);
  if (list) list.push(rule);
  else map.set(key, [rule]);
}

function place(bucket: MutableBucket, rule: CompiledRule): void {
  // One key per rule is enough (all its conditions must hold), and a connection has
  // one endpoint and one account, so no rule is ever a candidate twice.
  if (rule.endpoints) for (const endpoint of rule.endpoints) addTo(bucket.byEndpoint, endpoint, rule);
  else if (rule.accounts) for (const account of rule.accounts) addTo(bucket.byAccount, account, rule);
  else bucket.unkeyed.push(rule);
  if (rule.usesOrganization) bucket.organizationRules.push(rule);
}

function buildIndex(
  rules: readonly Rule[],
  invalid: readonly InvalidRule[],
  invalidDefaults: InvalidRule | undefined,
  invalidServices: ReadonlyMap<string, InvalidRule>,
): RuleIndex {
  const compiled: CompiledRule[] = [];
  for (const rule of rules) if (rule.enabled !== false) compiled.push(compileRule(rule));
  for (const entry of invalid) if (isUndeterminedRule(entry)) compiled.push(compileInvalid(entry));
  compiled.sort((a, b) => compareIds(a.id, b.id));

  const everyService = newBucket();
  const byService = new Map<string, MutableBucket>();
  for (const rule of compiled) {
    if (rule.services === undefined) {
      place(everyService, rule);
      continue;
    }
    for (const serviceId of rule.services) {
      let bucket = byService.get(serviceId);
      if (!bucket) {
        bucket = newBucket();
        byService.set(serviceId, bucket);
      }
      place(bucket, rule);
    }
  }
  const byId = new Map<string, CompiledRule>();
  for (const rule of compiled) if (!byId.has(rule.id) || !rule.invalid) byId.set(rule.id, rule);
  const heldByAny = invalid.filter(holdsAnyService);
  return { all: compiled, everyService, byService, byId, invalidDefaults, invalidServices, heldByAny };
}

const KNOWN_KINDS: ReadonlySet<string> = new Set(['defaults', 'service', 'rule']);
/** Fields only a rule has: an item with one of them may have been a rule whatever its kind says. */
const RULE_ONLY_FIELDS = [
  'effect',
  'description',
  'enabled',
  'services',
  'match',
  'limits',
  'validFrom',
  'validUntil',
  'meta',
];

/**
 * Fails an invalid item closed (DESIGN §3, by kind), for every kind it may have been:
 * settings hold their service (or every service, when which one cannot be told); a rule
 * is undetermined in its scope unless its effect reads as accept (then it could only
 * have added accepts). A rule with no readable effect whose id is a settings id, or
 * cannot be read, may have been settings whose kind was damaged.
 */
function failClosed(entry: InvalidRule, evidence: InvalidEvidence): void {
  const { kind, id, body } = evidence;
  const fields = isRecord(body) ? body : {};
  const effect = readableEffect(body);
  const serviceId = typeof id === 'string' && PATTERNS.service.test(id) ? id : undefined;
  const knownKind = typeof kind === 'string' && KNOWN_KINDS.has(kind);
  const mayBeRule =
    !knownKind ||
    kind === 'rule' ||
    RULE_ONLY_FIELDS.some((field) => Object.hasOwn(fields, field)) ||
    (kind === 'defaults' && id !== 'defaults') ||
    (kind === 'service' && serviceId === undefined);
  const mayBeSettings =
    !knownKind ||
    kind === 'defaults' ||
    kind === 'service' ||
    (effect === undefined && (id === 'defaults' || serviceId !== undefined || typeof id !== 'string'));
  if (mayBeSettings) {
    entry.holds =
      knownKind && kind !== 'defaults' && id !== 'defaults' && serviceId ? serviceId : ANY_SERVICE;
  }
  if (mayBeRule && effect !== 'accept') {
    entry.undetermined = true;
    const services = readableServices(body);
    if (services) entry.services = services;
    else if (kind !== 'service' && kind !== 'defaults') delete entry.services;
  }
  if (effect !== undefined && mayBeRule) entry.effect = effect;
}

/** An invalid item that acts as an undetermined reject rule. */
function isUndeterminedRule(entry: InvalidRule): boolean {
  return entry.undetermined === true;
}

/** An invalid item that may have held the settings of any service (see RuleIndex.heldByAny). */
function holdsAnyService(entry: InvalidRule): boolean {
  return entry.holds === ANY_SERVICE;
}

/** What an invalid item holds, in words for ledger entries, notices and reasons. */
export function heldByInvalid(entry: InvalidRule): string {
  const held: string[] = [];
  const fixed = 'until the item is fixed';
  if (entry.holds === ANY_SERVICE) {
    held.push(
      `every service without complete settings of its own is held: no accept, reject, expiry or revoke on its connections ${fixed}`,
    );
  } else if (entry.holds !== undefined) {
    held.push(
      `service ${entry.holds} is held: no accept, reject, expiry or revoke on its connections ${fixed}`,
    );
  }
  if (entry.undetermined) {
    const scope =
      entry.services === undefined
        ? 'every service'
        : `service${entry.services.length > 1 ? 's' : ''} ${entry.services.join(', ')}`;
    held.push(`every request of ${scope} is held for review, never accepted, ${fixed}`);
  }
  if (held.length === 0)
    return 'this accept rule accepts nothing until it is fixed; the other rules and the defaults decide';
  return held.join('; and ');
}

/** An item's effect field, when it is one of the effects. */
export function readableEffect(value: unknown): Effect | undefined {
  if (!isRecord(value)) return undefined;
  const effect = value.effect;
  return EFFECTS.find((known) => known === effect);
}

/**
 * The rule lists that may hold rules matching this connection: the service's and the
 * every-service bucket, each by endpoint, by account and unkeyed. Evaluation cost
 * grows with these, not with the size of the rule set.
 */
export function candidateLists(
  index: RuleIndex,
  connection: { serviceId: string; endpointId: string; account: string },
): (readonly CompiledRule[])[] {
  const lists: (readonly CompiledRule[])[] = [];
  for (const bucket of [index.byService.get(connection.serviceId), index.everyService]) {
    if (bucket === undefined) continue;
    lists.push(
      bucket.byEndpoint.get(connection.endpointId) ?? EMPTY,
      bucket.byAccount.get(connection.account) ?? EMPTY,
      bucket.unkeyed,
    );
  }
  return lists;
}

// ---------------------------------------------------------------------------------------
// Loading from the rules table

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The services an invalid rule names, if its services field can be read; otherwise every service. */
export function readableServices(value: unknown): string[] | undefined {
  if (!isRecord(value) || !Array.isArray(value.services) || value.services.length === 0) return undefined;
  const services: string[] = [];
  for (const item of value.services) {
    if (typeof item !== 'string' || !PATTERNS.service.test(item)) return undefined;
    services.push(item);
  }
  return services;
}

export function readableRuleId(value: unknown): string | undefined {
  return isRecord(value) && typeof value.id === 'string' && PATTERNS.ruleId.test(value.id)
    ? value.id
    : undefined;
}

/**
 * A rule set from rules-table items (unmarshalled plain objects with `kind` and `id`).
 * `meta` items are skipped. Invalid items are reported in `problems` and recorded in
 * `ruleSet.invalid`; they never open the gate (see the module comment).
 */
export function ruleSetFromItems(items: readonly unknown[]): LoadedRuleSet {
  const builder = new RuleSetBuilder();
  items.forEach((item, position) => {
    const kind = isRecord(item) ? item.kind : undefined;
    // The version and invitations share the table; they are not rules of any kind.
    if (isRecord(item) && !isRuleFileItem(item)) return;
    const rawId = isRecord(item) && typeof item.id === 'string' ? item.id : undefined;
    const origin: Origin = { source: 'table', where: `item ${position}` };
    const scope: ProblemScope = { source: 'table', ...(typeof kind === 'string' ? { kind } : {}) };
    if (rawId !== undefined) scope.ruleId = rawId;

    if (kind === 'defaults') {
      const parsed = DefaultsItemSchema.safeParse(item);
      if (parsed.success) {
        const { kind: _kind, id: _id, ...defaults } = parsed.data;
        builder.addDefaults(defaults, origin, scope);
      } else {
        builder.addInvalid(
          { id: 'defaults', kind: 'defaults', problems: issuesToProblems(parsed.error.issues, item, scope) },
          { kind, id: isRecord(item) ? item.id : undefined, body: item },
        );
      }
      return;
    }
    if (kind === 'service') {
      const parsed = ServiceItemSchema.safeParse(item);
      if (parsed.success) {
        const { kind: _kind, id, ...settings } = parsed.data;
        builder.addService(id, settings, origin, scope);
      } else {
        const id = rawId ?? `table#item-${position}`;
        const entry: InvalidRule = {
          id,
          kind: 'service',
          problems: issuesToProblems(parsed.error.issues, item, scope),
        };
        if (rawId !== undefined && PATTERNS.service.test(rawId)) entry.services = [rawId];
        builder.addInvalid(entry, { kind, id: isRecord(item) ? item.id : undefined, body: item });
      }
      return;
    }

    if (isOperatorKind(kind)) {
      const parsed = OperatorDecisionItemSchema.safeParse(item);
      if (parsed.success) {
        builder.addOperatorDecision(operatorDecisionOf(parsed.data));
        return;
      }
      // An unreadable approval or denial fails closed like an invalid rule: it holds
      // its service's requests (or every request when the service cannot be read).
      const serviceId = isRecord(item) ? item.serviceId : undefined;
      const entry: InvalidRule = {
        id: rawId ?? `table#item-${position}`,
        kind,
        problems: issuesToProblems(parsed.error.issues, item, scope),
      };
      const scoped = typeof serviceId === 'string' && PATTERNS.service.test(serviceId);
      // Scoped to its service, it is judged as the undetermined reject rule it could stand
      // for; with no readable service it is an item of unknown kind and holds everything.
      builder.addInvalid(
        entry,
        scoped
          ? { kind: 'rule', id: rawId, body: { effect: 'reject', services: [serviceId] } }
          : { kind, id: rawId, body: item },
      );
      return;
    }

    // A rule, or an item of a kind nobody knows: an invalid one fails closed for every kind
    // it may have been (see failClosed).
    const id = readableRuleId(item);
    const parsed = kind === 'rule' ? RuleOnlyItemSchema.safeParse(item) : undefined;
    const problems =
      parsed === undefined
        ? [
            problemAt(scope, ['kind'], 'must be one of defaults, service, rule (or meta)', {
              value: isRecord(item) ? item.kind : item,
            }),
          ]
        : parsed.success
          ? []
          : issuesToProblems(parsed.error.issues, item, scope);
    const duplicate =
      id === undefined ? undefined : builder.claimRuleId(id, origin, { ...scope, ruleId: id });
    if (duplicate) problems.unshift(duplicate);
    if (parsed?.success) {
      const tagProblem = restoreProtoTag(parsed.data, item);
      if (tagProblem) problems.push(problemAt({ ...scope, ruleId: parsed.data.id }, ...tagProblem));
    }
    if (parsed?.success && problems.length === 0) {
      const { kind: _kind, ...rule } = parsed.data;
      builder.addRule(rule);
      return;
    }
    const entry: InvalidRule = {
      id: id ?? rawId ?? `table#item-${position}`,
      kind: typeof kind === 'string' ? kind : 'unknown',
      problems,
    };
    builder.addInvalid(entry, { kind, id: isRecord(item) ? item.id : undefined, body: item });
  });
  return builder.build();
}

const PROTO = '__proto__';

/**
 * Puts back a tag condition on the key `__proto__`, which zod's records leave out (so that
 * it can never reach a prototype). Left out, the condition would silently widen the rule;
 * here it is an ordinary key, an own property. Returns the problem with its value, if any.
 */
export function restoreProtoTag(
  rule: Pick<Rule, 'match'>,
  raw: unknown,
): [path: string[], message: string, detail: { value: unknown }] | undefined {
  if (!isRecord(raw) || !isRecord(raw.match) || !isRecord(raw.match.tags)) return undefined;
  const tags = raw.match.tags;
  // An empty map would be no condition at all, so it is refused like an empty list: the
  // SDK's DynamoDB marshalling drops a `__proto__` key, and `{__proto__: x}` arrives as {}.
  if (Reflect.ownKeys(tags).length === 0)
    return [['match', 'tags'], 'must name at least one tag', { value: {} }];
  if (!Object.hasOwn(tags, PROTO)) return undefined;
  const value: unknown = Object.getOwnPropertyDescriptor(tags, PROTO)?.value;
  if (typeof value !== 'string' || value.length > TAG_VALUE_MAX) {
    return [['match', 'tags', PROTO], `must be a string of at most ${TAG_VALUE_MAX} characters`, { value }];
  }
  if (rule.match?.tags !== undefined) {
    Object.defineProperty(rule.match.tags, PROTO, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Reading a rule set

/** The rule set as rules-table items: defaults, services, rules, with the YAML field names plus kind and id. */
export function ruleSetToItems(ruleSet: RuleSet): RuleItem[] {
  const items: RuleItem[] = [];
  if (ruleSet.defaults !== undefined) items.push({ kind: 'defaults', id: 'defaults', ...ruleSet.defaults });
  for (const id of [...ruleSet.services.keys()].sort(compareIds)) {
    items.push({ kind: 'service', id, ...ruleSet.services.get(id) });
  }
  for (const rule of ruleSet.rules) items.push({ kind: 'rule', ...rule });
  return items;
}

/** The operators' approvals and denials as rules-table items, by endpoint id. */
export function operatorDecisionItems(ruleSet: RuleSet): OperatorDecisionItem[] {
  return [...(ruleSet.operatorDecisions?.values() ?? [])]
    .sort((a, b) => compareIds(a.endpointId, b.endpointId))
    .map(operatorDecisionItem);
}

const settingsCache = new WeakMap<RuleSet, Map<string, Settings>>();

/** A service's settings: its own fields over the defaults over the built-in defaults (review, P7D, notify, enforce). */
export function settingsFor(ruleSet: RuleSet, serviceId: string): Settings {
  let cache = settingsCache.get(ruleSet);
  if (!cache) {
    cache = new Map();
    settingsCache.set(ruleSet, cache);
  }
  const cached = cache.get(serviceId);
  if (cached) return cached;
  const service = ruleSet.services.get(serviceId);
  const defaults = ruleSet.defaults;
  const pendingTtl = service?.pendingTtl ?? defaults?.pendingTtl ?? BUILT_IN_SETTINGS.pendingTtl;
  const settings: Settings = {
    defaultEffect: service?.defaultEffect ?? defaults?.defaultEffect ?? BUILT_IN_SETTINGS.defaultEffect,
    pendingTtl,
    pendingTtlMs: parseIsoDuration(pendingTtl),
    onRevoke: service?.onRevoke ?? defaults?.onRevoke ?? BUILT_IN_SETTINGS.onRevoke,
    mode: service?.mode ?? defaults?.mode ?? BUILT_IN_SETTINGS.mode,
  };
  const held = holdOf(ruleSet.index, serviceId, service);
  if (held) settings.held = held;
  cache.set(serviceId, settings);
  return settings;
}

/**
 * The invalid item that holds a service, if any: its own, else one that may have held the
 * defaults, unless the service's own item sets every field (then no default reaches it).
 */
function holdOf(
  index: RuleIndex,
  serviceId: string,
  service: ServiceSettings | undefined,
): InvalidRule | undefined {
  const own = index.invalidServices.get(serviceId);
  if (own) return own;
  const complete =
    service !== undefined &&
    service.defaultEffect !== undefined &&
    service.pendingTtl !== undefined &&
    service.onRevoke !== undefined &&
    service.mode !== undefined;
  return complete ? undefined : index.heldByAny[0];
}

function isActive(rule: CompiledRule, nowMs: number): boolean {
  return rule.validFrom <= nowMs && nowMs < rule.validUntil;
}

/** Whether any rule active now for that service has an organizations or organizationalUnits condition. */
export function needsOrganization(ruleSet: RuleSet, serviceId: string, now: Date): boolean {
  const nowMs = now.getTime();
  const buckets = [ruleSet.index.byService.get(serviceId), ruleSet.index.everyService];
  return buckets.some((bucket) => bucket?.organizationRules.some((rule) => isActive(rule, nowMs)) ?? false);
}

/** How long a review may wait: the deciding review rule's pendingTtl if it has one, else the service's settings. */
export function reviewTtlMs(ruleSet: RuleSet, record: DecisionRecord): number {
  if (record.decision === 'review' && record.rule !== null) {
    const rule = ruleSet.index.byId.get(record.rule);
    if (rule?.effect === 'review' && rule.pendingTtlMs !== undefined) return rule.pendingTtlMs;
  }
  return settingsFor(ruleSet, record.serviceId).pendingTtlMs;
}

/** Every problem of a loaded rule set as lines, in a stable order. */
export function formatProblems(problems: readonly RuleProblem[]): string[] {
  return problems.map(formatProblem);
}
