/**
 * What a push would do to the connections there are now: per change, how many it would
 * accept, reject, revoke (or report as drift) or hold, judged on live data with the same
 * engine the gate uses. A change that leaves every connection's fate as it was counts nothing.
 */
import type { Connection } from '../functions/core/connection.ts';
import { evaluate } from '../functions/core/evaluate.ts';
import type { EvaluationContext } from '../functions/core/evaluation-context.ts';
import { ruleSetFromItems } from '../functions/core/rules/rule-items.ts';
import type { RuleSet } from '../functions/core/rules/rule-set.ts';
import { settingsFor } from '../functions/core/rules/settings.ts';
import { type Item, type ItemChange, keyOf } from './policy-diff.ts';

export const CONSEQUENCES = ['accept', 'reject', 'revoke', 'drift', 'hold'] as const;
export type Consequence = (typeof CONSEQUENCES)[number];
export type Consequences = Record<Consequence, number>;

export interface Judged {
  connection: Connection;
  context: EvaluationContext;
}

/** What the gate would do to one connection under a rule set; undefined: nothing. */
export function consequenceOf(judged: Judged, ruleSet: RuleSet): Consequence | undefined {
  const { connection, context } = judged;
  const settings = settingsFor(ruleSet, connection.serviceId);
  if (settings.mode !== 'enforce') return undefined;
  const record = evaluate(connection, context, ruleSet);
  if (connection.state === 'pendingAcceptance') {
    return record.decision === 'accept' ? 'accept' : record.decision === 'reject' ? 'reject' : 'hold';
  }
  if ((connection.state === 'pending' || connection.state === 'available') && record.decision === 'reject') {
    const denied = record.operator?.verdict === 'deny' && record.operator.decided;
    return settings.onRevoke === 'reject' || denied ? 'revoke' : 'drift';
  }
  return undefined;
}

export function countConsequences(judged: readonly Judged[], before: RuleSet, after: RuleSet): Consequences {
  const counts: Consequences = { accept: 0, reject: 0, revoke: 0, drift: 0, hold: 0 };
  for (const one of judged) {
    const then = consequenceOf(one, after);
    if (then !== undefined && then !== consequenceOf(one, before)) counts[then] += 1;
  }
  return counts;
}

/** The table's items with some changes applied, as the rule set the gate would load. */
export function ruleSetWith(table: ReadonlyMap<string, Item>, changes: readonly ItemChange[]): RuleSet {
  const items = new Map(table);
  for (const change of changes) {
    if (change.kind === 'removed') items.delete(change.key);
    else if (change.item) items.set(keyOf(change.item), change.item);
  }
  return ruleSetFromItems([...items.values()]).ruleSet;
}

export function consequencesText(counts: Consequences): string {
  const parts = CONSEQUENCES.filter((c) => counts[c] > 0).map((c) => `${c} ${counts[c]}`);
  return parts.length === 0 ? 'no connection changes fate' : `now: ${parts.join(', ')}`;
}
