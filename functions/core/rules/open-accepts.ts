/**
 * An accept rule with no conditions lets in anyone who may ask: valid, sometimes meant (a
 * service open to every allowed principal), but too easy to write by mistake to pass in
 * silence. Operators see a warning wherever rules are checked; nothing is refused.
 */

import type { RuleSet } from './rule-set.ts';
import type { Rule } from './schema.ts';

export interface RuleWarning {
  ruleId: string;
  message: string;
}

const hasConditions = (rule: Rule): boolean =>
  Object.values(rule.match ?? {}).some((condition) => condition !== undefined);

/** Enabled accept rules without a single match condition, with what they let in. */
export function openAcceptWarnings(ruleSet: RuleSet): RuleWarning[] {
  return ruleSet.rules
    .filter((rule) => rule.effect === 'accept' && rule.enabled !== false && !hasConditions(rule))
    .map((rule) => {
      const scope = rule.services ? rule.services.join(', ') : 'every managed service';
      const limit = rule.limits ? ` (up to ${rule.limits.maxEndpointsPerAccount} per account)` : '';
      return {
        ruleId: rule.id,
        message: `rule "${rule.id}" has no match conditions: it accepts every connection to ${scope}${limit}`,
      };
    });
}
