/**
 * Why each rule did or did not decide a connection: the verdict of every rule and of each
 * of its conditions. Built on the engine itself (each condition is judged by `evaluate` on
 * a rule set holding only that condition), so there is one implementation of what a
 * condition means. Slow by design (a rule set per condition): for `plgate explain`, never
 * for the decision path.
 */
import type { Connection } from './connection.ts';
import type { DecisionRecord, Effect } from './decision-record.ts';
import { evaluate } from './evaluate.ts';
import type { EvaluationContext } from './evaluation-context.ts';
import { type Rule, type RuleSet, ruleSetFromItems } from './rules/rule-set.ts';

export type Holds = true | false | 'undetermined';

export interface ConditionVerdict {
  /** The condition's field: accounts, regions, tags, limits.maxEndpointsPerAccount, … */
  condition: string;
  holds: Holds;
}

export interface RuleVerdict {
  id: string;
  effect: Effect;
  /** Why the rule is not in play for this connection now, if it is not. */
  inactive?: string;
  verdict: 'match' | 'no-match' | 'undetermined' | 'limit-reached' | 'inactive';
  conditions: ConditionVerdict[];
  /** Conditions that do not hold: one means the rule nearly matched. */
  failed: string[];
}

export interface Explanation {
  record: DecisionRecord;
  rules: RuleVerdict[];
}

export function explainConnection(
  connection: Connection,
  context: EvaluationContext,
  ruleSet: RuleSet,
): Explanation {
  const record = evaluate(connection, context, ruleSet);
  return { record, rules: ruleSet.rules.map((rule) => verdictOf(rule, connection, context, record)) };
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

  const conditions: ConditionVerdict[] = Object.entries(rule.match ?? {}).map(([field, value]) => ({
    condition: field,
    holds: alone(rule, { match: { [field]: value } }, connection, context),
  }));
  if (rule.limits) {
    conditions.push({
      condition: 'limits.maxEndpointsPerAccount',
      holds: alone(rule, { effect: 'accept', limits: rule.limits }, connection, context),
    });
  }
  const failed = conditions.filter((c) => c.holds === false).map((c) => c.condition);
  const undetermined = conditions.some((c) => c.holds === 'undetermined');
  const limitFailed = failed.length === 1 && failed[0] === 'limits.maxEndpointsPerAccount';
  const verdict = record.matched.includes(rule.id)
    ? 'match'
    : limitFailed
      ? 'limit-reached'
      : failed.length > 0
        ? 'no-match'
        : undetermined
          ? 'undetermined'
          : 'no-match';
  return { ...base, verdict, conditions, failed };
}

/** Judges one part of a rule on its own, through the engine. */
function alone(rule: Rule, part: Partial<Rule>, connection: Connection, context: EvaluationContext): Holds {
  const defined = Object.fromEntries(Object.entries(part).filter(([, value]) => value !== undefined));
  const { ruleSet } = ruleSetFromItems([
    { kind: 'rule', id: rule.id, effect: 'review', match: {}, ...defined },
  ]);
  const probe = evaluate(connection, context, ruleSet);
  if (probe.matched.includes(rule.id)) return true;
  return probe.undetermined.includes(rule.id) ? 'undetermined' : false;
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
