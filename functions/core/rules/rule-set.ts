/**
 * A rule set: defaults, service settings and rules, validated and compiled into an index
 * (rule-index.ts). Built by RuleSetBuilder (rule-set-builder.ts) from rules-table items
 * (rule-items.ts) or YAML files (rule-files.ts, kept apart so the Lambdas never bundle a
 * YAML parser). Invalid input fails closed (invalid-items.ts); a service's settings are
 * settings.ts's.
 */
import type { InvalidRule } from './invalid-items.ts';
import type { OperatorDecision } from './operator-decisions.ts';
import type { RuleProblem } from './problems.ts';
import { isActive, type RuleIndex } from './rule-index.ts';
import type { Defaults, Rule, ServiceSettings } from './schema.ts';

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

/** Whether any rule active now for that service has an organizations or organizationalUnits condition. */
export function needsOrganization(ruleSet: RuleSet, serviceId: string, now: Date): boolean {
  const nowMs = now.getTime();
  const buckets = [ruleSet.index.byService.get(serviceId), ruleSet.index.everyService];
  return buckets.some((bucket) => bucket?.organizationRules.some((rule) => isActive(rule, nowMs)) ?? false);
}
