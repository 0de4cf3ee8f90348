/**
 * Rule change: a rules-table item was written or removed. Each new item is validated
 * with the same schema the engine uses; an invalid one is reported (ledger and notice,
 * saying what it holds) and, in the engine, fails closed by kind: it holds a service, holds
 * requests for review, or (an accept rule) accepts nothing; it never opens the gate. Then the
 * rules version moves, so every cache reloads, and the affected services are swept.
 */
import { heldByInvalid } from '../core/rules/invalid-items.ts';
import { ruleSetFromItems } from '../core/rules/rule-items.ts';
import { isRuleFileItem } from '../shared/tables.ts';
import type { GateEvents, Ledger, Notifier, RuleProblemEntry, RulesStore } from './ports.ts';

export interface RuleItemChange {
  /** Stream sequence number, for partial batch failure. */
  id: string;
  newItem?: Record<string, unknown>;
  oldItem?: Record<string, unknown>;
}

export interface RuleChangeDeps {
  rulesStore: RulesStore;
  ledger: Ledger;
  notifier: Notifier;
  events: GateEvents;
  now: () => Date;
}

export interface RuleChangeResult {
  version?: number;
  invalid: RuleProblemEntry[];
  /** Services to sweep again; 'all' when a change can reach every service. */
  services: string[] | 'all';
  /** Ids of changes that could not be handled (with all after them, for the stream to retry). */
  failedFrom?: string;
}

export async function handleRuleChanges(
  changes: RuleItemChange[],
  deps: RuleChangeDeps,
): Promise<RuleChangeResult> {
  const result: RuleChangeResult = { invalid: [], services: [] };
  const services = new Set<string>();
  let all = false;
  let changed = 0;

  for (const change of changes) {
    const item = change.newItem ?? change.oldItem;
    // Version bumps and invitations change no decision: no validation, no new version, no sweep.
    if (!item || !isRuleFileItem(item)) continue;
    try {
      if (change.newItem) {
        const problem = validate(change.newItem, deps.now());
        if (problem) {
          await deps.ledger.appendRuleProblem(problem);
          await deps.notifier.publish({ kind: 'invalid-rule', ...problem });
          result.invalid.push(problem);
        }
      }
      for (const scope of [change.newItem, change.oldItem]) {
        const reach = reachOf(scope);
        if (reach === 'all') all = true;
        else for (const id of reach) services.add(id);
      }
      changed += 1;
    } catch (error) {
      result.failedFrom = change.id;
      if (changed === 0) throw error;
      break;
    }
  }

  if (changed > 0) {
    result.version = await deps.rulesStore.bumpVersion();
    result.services = all ? 'all' : [...services].sort();
    await deps.events.requestSweep({
      reason: 'rule-change',
      ...(all ? {} : { serviceIds: result.services as string[] }),
    });
  }
  return result;
}

function validate(item: Record<string, unknown>, now: Date): RuleProblemEntry | undefined {
  const { ruleSet, problems } = ruleSetFromItems([item]);
  const invalid = ruleSet.invalid[0];
  if (problems.length === 0 || invalid === undefined) return undefined;
  return {
    at: now.toISOString(),
    item: { kind: String(item.kind ?? 'unknown'), id: String(item.id ?? 'unknown') },
    problems: problems.map((p) => ({ path: p.path, message: p.message })),
    held: heldByInvalid(invalid),
  };
}

/** Which services an item can change decisions for. */
function reachOf(item: Record<string, unknown> | undefined): string[] | 'all' {
  if (!item) return [];
  if (item.kind === 'service') return typeof item.id === 'string' ? [item.id] : 'all';
  if (
    item.kind === 'rule' &&
    Array.isArray(item.services) &&
    item.services.every((s) => typeof s === 'string')
  ) {
    return item.services as string[];
  }
  return 'all';
}
