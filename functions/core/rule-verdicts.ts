/**
 * Why each rule did or did not decide a connection: the verdict of every rule and of each
 * of its conditions. Built on the engine itself (each condition is judged by `evaluate` on
 * a rule set holding only that condition), so there is one implementation of what a
 * condition means. Slow by design (a rule set per condition): for `plgate explain`, never
 * for the decision path.
 */
import type { Connection } from './connection.ts';
import type { DecisionRecord, Effect } from './decision-record.ts';
import { evaluate, servicePlace } from './evaluate.ts';
import type { EvaluationContext } from './evaluation-context.ts';
import type { InvalidRule } from './rules/invalid-items.ts';
import { ruleSetFromItems } from './rules/rule-items.ts';
import type { RuleSet } from './rules/rule-set.ts';
import type { Rule } from './rules/schema.ts';

export type Holds = true | false | 'undetermined';

export interface ConditionVerdict {
  /** The condition's field: accounts, regions, tags, limits.maxEndpointsPerAccount, … */
  condition: string;
  holds: Holds;
  /** What the connection has against what the rule asks, or why it cannot be told. */
  detail: string;
}

export interface RuleVerdict {
  id: string;
  effect: Effect;
  /** Why the rule is not in play for this connection now, if it is not. */
  inactive?: string;
  /**
   * `invalid`: an item that failed validation; unless it is an accept rule (then it is
   * inactive), it counts as an undetermined reject rule for the services it names (or every
   * service), so it holds a request for review.
   */
  verdict: 'match' | 'no-match' | 'undetermined' | 'limit-reached' | 'inactive' | 'invalid';
  conditions: ConditionVerdict[];
  /** Conditions that do not hold (the limit among them). */
  failed: string[];
}

export interface Explanation {
  record: DecisionRecord;
  rules: RuleVerdict[];
  /** The rules that nearly matched, nearest first (see `nearMisses`). */
  nearMisses: NearMiss[];
}

/** A rule that nearly matched: what held and what stopped it. */
export interface NearMiss {
  id: string;
  effect: Effect;
  /** How many of its match conditions held, of how many it has. */
  held: number;
  of: number;
  /** What stopped it: one match condition, or its limit. Empty when only data was missing. */
  failed: string[];
  /** Conditions that could not be told (the limit's count among them). */
  undetermined: string[];
}

const LIMIT = 'limits.maxEndpointsPerAccount';

/**
 * Rules that nearly matched, nearest first (most match conditions held, then by id): held
 * back only by their limit, by data the gate could not get, or by one match condition
 * while another held. The limit is no match condition: it is counted only once every match
 * condition holds, so a rule whose account does not match is a plain miss, whatever its
 * limit says; and a rule with a single condition that fails is just a miss.
 */
export function nearMisses(rules: readonly RuleVerdict[]): NearMiss[] {
  const near: NearMiss[] = [];
  for (const rule of rules) {
    const conditions = rule.conditions.filter((c) => c.condition !== LIMIT);
    const held = conditions.filter((c) => c.holds === true).length;
    const failed = conditions.filter((c) => c.holds === false).map((c) => c.condition);
    const undetermined = rule.conditions.filter((c) => c.holds === 'undetermined').map((c) => c.condition);
    const miss = { id: rule.id, effect: rule.effect, held, of: conditions.length, undetermined };
    if (rule.verdict === 'limit-reached') near.push({ ...miss, failed: [LIMIT] });
    else if (rule.verdict === 'undetermined') near.push({ ...miss, failed });
    else if (rule.verdict === 'no-match' && failed.length === 1 && held > 0) near.push({ ...miss, failed });
  }
  return near.sort((a, b) => b.held - a.held || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function explainConnection(
  connection: Connection,
  context: EvaluationContext,
  ruleSet: RuleSet,
): Explanation {
  const record = evaluate(connection, context, ruleSet);
  const rules = ruleSet.rules.map((rule) => verdictOf(rule, connection, context, record));
  for (const invalid of ruleSet.invalid) {
    if (invalid.undetermined || (invalid.kind === 'rule' && invalid.effect === 'accept'))
      rules.push(invalidVerdict(invalid, connection));
  }
  rules.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { record, rules, nearMisses: nearMisses(rules) };
}

/** An invalid item, as the engine counts it: an undetermined reject rule where it applies. */
function invalidVerdict(invalid: InvalidRule, connection: Connection): RuleVerdict {
  const first = invalid.problems[0];
  // A problem with `unlisted` stands for that many problems the item does not list.
  let more = -1;
  for (const problem of invalid.problems) more += problem.unlisted ?? 1;
  const detail = first
    ? `${first.path ? `${first.path}: ` : ''}${first.message}${more > 0 ? ` (and ${more} more)` : ''}`
    : 'invalid';
  if (invalid.kind === 'rule' && invalid.effect === 'accept') {
    return {
      id: invalid.id,
      effect: 'accept',
      failed: [],
      inactive: `an invalid accept rule accepts nothing until it is fixed (${detail})`,
      verdict: 'inactive',
      conditions: [],
    };
  }
  const base = { id: invalid.id, effect: 'reject' as const, failed: [] };
  if (invalid.services && !invalid.services.includes(connection.serviceId)) {
    return {
      ...base,
      inactive: `applies to ${invalid.services.join(', ')} only`,
      verdict: 'inactive',
      conditions: [],
    };
  }
  return { ...base, verdict: 'invalid', conditions: [{ condition: 'valid', holds: 'undetermined', detail }] };
}

function verdictOf(
  rule: Rule,
  connection: Connection,
  context: EvaluationContext,
  record: DecisionRecord,
): RuleVerdict {
  const base = { id: rule.id, effect: rule.effect };
  const inactive = inactiveBecause(rule, connection, context);
  if (inactive) return { ...base, inactive, verdict: 'inactive', conditions: [], failed: [] };

  const conditions: ConditionVerdict[] = Object.entries(rule.match ?? {}).map(([field, value]) => {
    const judged = probe(rule, { match: { [field]: value } }, connection, context);
    return {
      condition: field,
      holds: judged.holds,
      detail: judged.why ?? conditionDetail(rule, field, judged.holds, connection, context),
    };
  });
  if (rule.limits) {
    const judged = probe(rule, { effect: 'accept', limits: rule.limits }, connection, context);
    const limit = rule.limits.maxEndpointsPerAccount;
    conditions.push({
      condition: 'limits.maxEndpointsPerAccount',
      holds: judged.holds,
      detail: judged.why ?? `${context.liveEndpoints ?? '?'} of ${limit} endpoints in use`,
    });
  }
  const failed = conditions.filter((c) => c.holds === false).map((c) => c.condition);
  const limitFailed = failed.length === 1 && failed[0] === LIMIT;
  // Match and undetermined as the engine's record says (an undetermined condition means the
  // engine never got to the limit); the rest from the conditions.
  const verdict = record.matched.includes(rule.id)
    ? 'match'
    : record.undetermined.includes(rule.id)
      ? 'undetermined'
      : limitFailed
        ? 'limit-reached'
        : 'no-match';
  return { ...base, verdict, conditions, failed };
}

/** Judges one part of a rule on its own, through the engine. */
function alone(rule: Rule, part: Partial<Rule>, connection: Connection, context: EvaluationContext): Holds {
  return probe(rule, part, connection, context).holds;
}

/**
 * One part of a rule judged by the engine on a rule set holding only that part, with the
 * engine's own words when it could not tell or a limit stopped it.
 */
function probe(
  rule: Rule,
  part: Partial<Rule>,
  connection: Connection,
  context: EvaluationContext,
): { holds: Holds; why?: string } {
  const defined = Object.fromEntries(Object.entries(part).filter(([, value]) => value !== undefined));
  const { ruleSet } = ruleSetFromItems([
    { kind: 'rule', id: rule.id, effect: 'review', match: {}, ...defined },
  ]);
  const record = evaluate(connection, context, ruleSet);
  if (record.matched.includes(rule.id)) return { holds: true };
  const prefix = `rule "${rule.id}" (`;
  const reason = record.reasons.find((text) => text.startsWith(prefix));
  const why = reason?.replace(/^rule "[^"]*" \(\w+\) (could not be determined|did not match): /, '');
  const holds: Holds = record.undetermined.includes(rule.id) ? 'undetermined' : false;
  return why === undefined || why === reason ? { holds } : { holds, why };
}

/** What the connection has against what a condition that held or failed asks for. */
function conditionDetail(
  rule: Rule,
  field: string,
  holds: Holds,
  connection: Connection,
  context: EvaluationContext,
): string {
  const match = rule.match ?? {};
  const place = servicePlace(connection, context);
  const listed = (what: string, value: string | undefined, values: readonly string[] | undefined) =>
    holds === true
      ? `${what} ${value ?? '?'} is listed`
      : `${what} ${value ?? '?'} is not listed (${shortList(values ?? [])})`;
  switch (field) {
    case 'accounts':
      return listed('account', connection.account, match.accounts);
    case 'endpoints':
      return listed('endpoint', connection.endpointId, match.endpoints);
    case 'regions':
      return listed('region', connection.region ?? place.region, match.regions);
    case 'serviceAccounts':
      return listed('service account', place.account, match.serviceAccounts);
    case 'serviceRegions':
      return listed('service region', place.region, match.serviceRegions);
    case 'crossRegion': {
      const region = connection.region ?? place.region ?? '?';
      const service = place.region ?? '?';
      const where =
        region === service
          ? `endpoint in ${region}, the service's region`
          : `endpoint in ${region}, service in ${service}`;
      return holds === true
        ? where
        : `${where}: rule asks for ${match.crossRegion ? 'cross-region' : 'same region'}`;
    }
    case 'ipAddressTypes':
      return listed('IP address type', connection.ipAddressType, match.ipAddressTypes);
    case 'organizations':
      return listed('organization', context.organization?.organizationId, match.organizations);
    case 'organizationalUnits': {
      const units = context.organization?.ouIds ?? [];
      return holds === true
        ? `the account is under ${units.filter((id) => match.organizationalUnits?.includes(id)).join(', ')}`
        : `the account's units (${units.join(' > ') || 'none'}) include none of ${shortList(match.organizationalUnits ?? [])}`;
    }
    case 'tags': {
      if (holds === true) return 'every tag matches';
      // Which tags fail, each asked of the engine on its own.
      const failing = Object.entries(match.tags ?? {}).filter(
        ([key, value]) => alone(rule, { match: { tags: { [key]: value } } }, connection, context) === false,
      );
      return failing
        .map(([key, expected]) =>
          Object.hasOwn(connection.tags, key)
            ? `tag ${key} is ${JSON.stringify(connection.tags[key])}, not ${JSON.stringify(expected)}`
            : `tag ${key} is missing`,
        )
        .join('; ');
    }
    default:
      return holds === true ? 'holds' : 'does not hold';
  }
}

function shortList(values: readonly string[]): string {
  const shown = values.slice(0, 5).join(', ');
  return values.length > 5 ? `${shown} and ${values.length - 5} more` : shown;
}

/** Disabled, outside its window, or scoped to other services: asked of the engine too. */
function inactiveBecause(rule: Rule, connection: Connection, context: EvaluationContext): string | undefined {
  if (rule.enabled === false) return 'disabled';
  if (rule.services && !rule.services.includes(connection.serviceId)) {
    return `applies to ${rule.services.join(', ')} only`;
  }
  const window = { validFrom: rule.validFrom, validUntil: rule.validUntil };
  if (alone(rule, window, connection, context) === false) {
    return `outside its validity window (${rule.validFrom ?? '…'} to ${rule.validUntil ?? '…'})`;
  }
  return undefined;
}
