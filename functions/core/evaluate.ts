/**
 * The engine: one connection, its context and a rule set in, one decision record out.
 * Pure and deterministic (DESIGN §3): rule order never matters, and an undetermined
 * condition never yields accept.
 */
import type { Connection } from './connection.ts';
import type { DecisionRecord, Effect } from './decision-record.ts';
import type { EvaluationContext } from './evaluation-context.ts';
import { heldByInvalid, type InvalidRule } from './rules/invalid-items.ts';
import { type OperatorDecision, operatorDecisionText } from './rules/operator-decisions.ts';
import { type CompiledRule, candidateLists } from './rules/rule-index.ts';
import type { RuleSet } from './rules/rule-set.ts';
import { settingsFor } from './rules/settings.ts';

/** Judges one connection against the rules that could match it (found through the rule set's indexes). */
export function evaluate(
  connection: Connection,
  context: EvaluationContext,
  ruleSet: RuleSet,
): DecisionRecord {
  return decide(connection, context, ruleSet, candidateLists(ruleSet.index, connection));
}

/**
 * The same judgement by scanning every rule. The reference the indexes are tested and
 * benchmarked against; never needed in production.
 */
export function evaluateScanningAll(
  connection: Connection,
  context: EvaluationContext,
  ruleSet: RuleSet,
): DecisionRecord {
  return decide(connection, context, ruleSet, [ruleSet.index.all]);
}

const NO_MATCH = 0;
const MATCH = 1;

/** A rule's verdict on a connection: no match, match, or what could not be determined. */
type Verdict = typeof NO_MATCH | typeof MATCH | string;

interface Finding {
  rule: CompiledRule;
  text: string;
}

function decide(
  connection: Connection,
  context: EvaluationContext,
  ruleSet: RuleSet,
  lists: readonly (readonly CompiledRule[])[],
): DecisionRecord {
  const nowMs = context.now.getTime();
  const place = servicePlace(connection, context);
  const region = connection.region ?? place.region;
  const matched: Record<Effect, CompiledRule[]> = { reject: [], review: [], accept: [] };
  const undetermined: Finding[] = [];
  const limited: Finding[] = [];
  let blocking = 0; // undetermined reject or review rules (invalid items count as reject)

  for (const list of lists) {
    for (const rule of list) {
      if (rule.services !== undefined && !rule.services.has(connection.serviceId)) continue;
      if (rule.invalid) {
        undetermined.push({ rule, text: invalidText(rule) });
        blocking++;
        continue;
      }
      if (nowMs < rule.validFrom || nowMs >= rule.validUntil) continue;
      const verdict = judge(rule, connection, context, region, place);
      if (verdict === NO_MATCH) continue;
      if (verdict !== MATCH) {
        undetermined.push({ rule, text: verdict });
        if (rule.effect !== 'accept') blocking++;
        continue;
      }
      if (rule.effect === 'accept' && rule.maxEndpointsPerAccount !== undefined) {
        const limit = rule.maxEndpointsPerAccount;
        const live = context.liveEndpoints;
        if (live === undefined) {
          limited.push({
            rule,
            text: `limit of ${limit} endpoints per account cannot be checked: count unknown`,
          });
          continue;
        }
        if (live >= limit) {
          limited.push({
            rule,
            text: `limit reached: ${live} of ${limit} endpoints of account ${connection.account} on this service`,
          });
          continue;
        }
      }
      matched[rule.effect].push(rule);
    }
  }

  const record: DecisionRecord = {
    endpointId: connection.endpointId,
    serviceId: connection.serviceId,
    account: connection.account,
    decision: 'review',
    rule: null,
    matched: [],
    reasons: [],
    default: false,
    undetermined: [],
  };

  const reasons: string[] = [];
  // An operator's decision about this very endpoint outranks everything but a reject rule.
  const operator = ruleSet.operatorDecisions?.get(connection.endpointId);
  const byOperator = operator?.serviceId === connection.serviceId ? operator : undefined;
  if (matched.reject.length > 0) {
    record.decision = 'reject';
    record.rule = smallestId(matched.reject);
    reasons.push(`rejected by reject rule "${record.rule}"`);
    if (byOperator) {
      record.operator = operatorOf(byOperator, byOperator.verdict === 'deny');
      if (byOperator.verdict === 'approve')
        reasons.push(`${operatorDecisionText(byOperator)}; an approval never outranks a reject rule`);
    }
  } else if (byOperator) {
    record.decision = byOperator.verdict === 'approve' ? 'accept' : 'reject';
    record.operator = operatorOf(byOperator, true);
    reasons.push(operatorDecisionText(byOperator));
  } else if (matched.review.length > 0) {
    record.decision = 'review';
    record.rule = smallestId(matched.review);
    reasons.push(`held for review by review rule "${record.rule}"`);
  } else if (blocking > 0) {
    record.decision = 'review';
    reasons.push(`held for review: ${blockingSummary(undetermined)}`);
    if (matched.accept.length > 0) {
      reasons.push(
        `accept rule "${smallestId(matched.accept)}" matched, but an undetermined reject or review rule never lets it accept`,
      );
    }
  } else if (matched.accept.length > 0) {
    record.decision = 'accept';
    record.rule = smallestId(matched.accept);
    reasons.push(`accepted by accept rule "${record.rule}"`);
  } else {
    const fallback = defaultDecision(ruleSet, connection.serviceId);
    record.default = true;
    record.decision = fallback.effect;
    reasons.push(...fallback.reasons);
  }

  const details: Finding[] = [];
  for (const effect of ['reject', 'review', 'accept'] as const) {
    for (const rule of matched[effect]) {
      record.matched.push(rule.id);
      details.push({
        rule,
        text: `rule "${rule.id}" (${rule.effect}) matched: ${matchText(rule, connection, context, region, place)}`,
      });
    }
  }
  for (const finding of undetermined) {
    record.undetermined.push(finding.rule.id);
    const { rule } = finding;
    details.push(
      rule.invalid
        ? finding
        : { rule, text: `rule "${rule.id}" (${rule.effect}) could not be determined: ${finding.text}` },
    );
  }
  for (const finding of limited) {
    if (finding.text.endsWith('count unknown')) record.undetermined.push(finding.rule.id);
    details.push({
      rule: finding.rule,
      text: `rule "${finding.rule.id}" (accept) did not match: ${finding.text}`,
    });
  }

  const held = settingsFor(ruleSet, connection.serviceId).held;
  if (held) {
    // The service's settings are unknown: whatever the rules say, nothing may act on it.
    reasons.splice(0, reasons.length, holdText(held), `without the hold: ${reasons[0] ?? 'no decision'}`);
    record.decision = 'review';
    record.rule = null;
    record.default = false;
    record.undetermined.push(held.id);
    if (record.operator) record.operator.decided = false;
  }

  record.matched.sort(compareIds);
  record.undetermined = [...new Set(record.undetermined)].sort(compareIds);
  details.sort((a, b) => compareIds(a.rule.id, b.rule.id) || compareIds(a.text, b.text));
  for (const detail of details) reasons.push(detail.text);
  record.reasons = reasons;
  return record;
}

/** Why a service is held, naming the invalid item, its field and value. */
export function holdText(held: InvalidRule): string {
  const what = held.kind === 'file' ? `rule file ${held.id}` : `${held.kind} item "${held.id}"`;
  return `held: ${what} is invalid (${firstProblem(held.problems)}), so ${heldByInvalid(held)}`;
}

/** Where the connection's service lives: what the connection carries, else the context's (the gate's own). */
export function servicePlace(
  connection: Connection,
  context: EvaluationContext,
): { account: string | undefined; region: string | undefined } {
  return {
    account: connection.serviceAccount ?? context.serviceAccount,
    region: connection.serviceRegion ?? context.serviceRegion,
  };
}

function judge(
  rule: CompiledRule,
  connection: Connection,
  context: EvaluationContext,
  region: string | undefined,
  place: { account: string | undefined; region: string | undefined },
): Verdict {
  if (rule.accounts !== undefined && !rule.accounts.has(connection.account)) return NO_MATCH;
  if (rule.endpoints !== undefined && !rule.endpoints.has(connection.endpointId)) return NO_MATCH;
  if (rule.tags !== undefined) {
    const tags = connection.tags;
    for (const [key, expected] of rule.tags) {
      if (!Object.hasOwn(tags, key)) return NO_MATCH;
      if (expected !== '*' && tags[key] !== expected) return NO_MATCH;
    }
  }
  let unknown: string | undefined;
  if (rule.regions !== undefined) {
    if (region === undefined) unknown = 'the endpoint region is unknown';
    else if (!rule.regions.has(region)) return NO_MATCH;
  }
  if (rule.crossRegion !== undefined) {
    // Without the service's region, neither "same" nor "other" can be told.
    if (place.region === undefined) unknown = join(unknown, "the service's region is unknown");
    else if ((region !== place.region) !== rule.crossRegion) return NO_MATCH;
  }
  if (rule.serviceAccounts !== undefined) {
    if (place.account === undefined) unknown = join(unknown, "the service's account is unknown");
    else if (!rule.serviceAccounts.has(place.account)) return NO_MATCH;
  }
  if (rule.serviceRegions !== undefined) {
    if (place.region === undefined) unknown = join(unknown, "the service's region is unknown");
    else if (!rule.serviceRegions.has(place.region)) return NO_MATCH;
  }
  if (rule.ipAddressTypes !== undefined) {
    if (connection.ipAddressType === undefined) unknown = join(unknown, 'the IP address type is unknown');
    else if (!rule.ipAddressTypes.has(connection.ipAddressType)) return NO_MATCH;
  }
  if (rule.usesOrganization) {
    const organization = context.organization;
    if (organization === undefined) {
      unknown = join(unknown, `the organization of account ${connection.account} is unknown`);
    } else {
      if (rule.organizations !== undefined && !rule.organizations.has(organization.organizationId))
        return NO_MATCH;
      if (rule.organizationalUnits !== undefined && !anyIn(rule.organizationalUnits, organization.ouIds))
        return NO_MATCH;
    }
  }
  return unknown ?? MATCH;
}

function operatorOf(decision: OperatorDecision, decided: boolean): NonNullable<DecisionRecord['operator']> {
  return {
    verdict: decision.verdict,
    actor: decision.actor,
    ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
    at: decision.at,
    decided,
  };
}

function join(first: string | undefined, second: string): string {
  return first === undefined ? second : `${first}; ${second}`;
}

function anyIn(set: ReadonlySet<string>, values: readonly string[]): boolean {
  for (const value of values) if (set.has(value)) return true;
  return false;
}

/** Which conditions a matched rule held on, for the reasons. */
function matchText(
  rule: CompiledRule,
  connection: Connection,
  context: EvaluationContext,
  region: string | undefined,
  place: { account: string | undefined; region: string | undefined },
): string {
  const parts: string[] = [];
  if (rule.accounts) parts.push(`account ${connection.account}`);
  if (rule.endpoints) parts.push(`endpoint ${connection.endpointId}`);
  if (rule.organizations && context.organization)
    parts.push(`organization ${context.organization.organizationId}`);
  if (rule.organizationalUnits && context.organization) {
    const units = rule.organizationalUnits;
    parts.push(`organizational unit ${context.organization.ouIds.find((id) => units.has(id)) ?? '?'}`);
  }
  if (rule.regions) parts.push(`region ${region ?? '?'}`);
  if (rule.crossRegion !== undefined) {
    parts.push(
      rule.crossRegion
        ? `cross-region (${region ?? '?'}, service in ${place.region ?? '?'})`
        : `same region as the service (${place.region ?? '?'})`,
    );
  }
  if (rule.serviceAccounts) parts.push(`service account ${place.account ?? '?'}`);
  if (rule.serviceRegions) parts.push(`service region ${place.region ?? '?'}`);
  if (rule.ipAddressTypes) parts.push(`IP address type ${connection.ipAddressType ?? '?'}`);
  for (const [key, value] of rule.tags ?? [])
    parts.push(value === '*' ? `tag ${key} present` : `tag ${key}=${value}`);
  if (rule.maxEndpointsPerAccount !== undefined && context.liveEndpoints !== undefined) {
    parts.push(`${context.liveEndpoints} of ${rule.maxEndpointsPerAccount} endpoints in use`);
  }
  return parts.length === 0 ? 'it has no conditions' : parts.join(', ');
}

function invalidText(rule: CompiledRule): string {
  const problems = rule.invalid?.problems ?? [];
  const first = problems[0];
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  const what =
    rule.invalid?.kind === 'file' ? `rule file ${rule.id} is invalid` : `rule item "${rule.id}" is invalid`;
  return `${what}, so it is undetermined and holds requests for review: ${first ? `${first.source}: ${firstProblem([first])}` : 'unknown problem'}${more}`;
}

function blockingSummary(undetermined: readonly Finding[]): string {
  const blocking = undetermined.filter((finding) => finding.rule.invalid || finding.rule.effect !== 'accept');
  const ids = blocking.map((finding) => finding.rule.id).sort(compareIds);
  const first = ids[0] ?? '?';
  const others = ids.length > 1 ? ` and ${ids.length - 1} more` : '';
  return `reject or review rule "${first}"${others} could not be determined`;
}

function defaultDecision(ruleSet: RuleSet, serviceId: string): { effect: Effect; reasons: string[] } {
  // An invalid service or defaults item holds the service (see above), so no fallback
  // past an invalid item ever reaches here as a decision.
  const service = ruleSet.services.get(serviceId);
  if (service?.defaultEffect !== undefined) {
    return {
      effect: service.defaultEffect,
      reasons: [`no rule decided: service ${serviceId} defaults to ${service.defaultEffect}`],
    };
  }
  if (ruleSet.defaults?.defaultEffect !== undefined) {
    return {
      effect: ruleSet.defaults.defaultEffect,
      reasons: [`no rule decided: the defaults say ${ruleSet.defaults.defaultEffect}`],
    };
  }
  const effect = settingsFor(ruleSet, serviceId).defaultEffect;
  return { effect, reasons: [`no rule decided: the built-in default is ${effect}`] };
}

function firstProblem(problems: readonly { path: string; message: string }[]): string {
  const first = problems[0];
  if (!first) return 'unknown problem';
  return first.path ? `${first.path}: ${first.message}` : first.message;
}

function smallestId(rules: readonly CompiledRule[]): string {
  let smallest = rules[0]?.id ?? '';
  for (const rule of rules) if (rule.id < smallest) smallest = rule.id;
  return smallest;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
