/**
 * A rule set's index: rules compiled (lists into sets, timestamps into epoch ms) and put in
 * buckets by service, then by endpoint or account, so that evaluating a connection touches
 * only the rules that could match it.
 */
import type { Effect } from '../decision-record.ts';
import { parseIsoDuration, parseIsoTimestamp } from '../iso8601.ts';
import { holdsAnyService, type InvalidRule, isUndeterminedRule } from './invalid-items.ts';
import type { Rule } from './schema.ts';

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
  /** Where the service lives (fleets): the provider account and region. */
  readonly serviceAccounts?: ReadonlySet<string>;
  readonly serviceRegions?: ReadonlySet<string>;
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

const EMPTY: readonly CompiledRule[] = Object.freeze([]);

/** Ids compare by code unit, the same in every locale. */
export function compareIds(a: string, b: string): number {
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
    serviceAccounts: set(match.serviceAccounts),
    serviceRegions: set(match.serviceRegions),
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

export function buildIndex(
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

export function isActive(rule: CompiledRule, nowMs: number): boolean {
  return rule.validFrom <= nowMs && nowMs < rule.validUntil;
}
