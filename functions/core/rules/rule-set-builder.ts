/** Collects a rule set's items from any source (table or files), detects duplicates, then compiles. */
import { ANY_SERVICE, failClosed, type InvalidEvidence, type InvalidRule } from './invalid-items.ts';
import { type OperatorDecision, strongerDecision } from './operator-decisions.ts';
import { type ProblemScope, problemAt, type RuleProblem } from './problems.ts';
import { buildIndex, compareIds } from './rule-index.ts';
import { type LoadedRuleSet, MAX_LISTED_PROBLEMS, type RuleSet } from './rule-set.ts';
import type { Defaults, Rule, ServiceSettings } from './schema.ts';

export interface Origin {
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
