import { type RuleProblem, type RuleSet, ruleSetFromItems } from '../core/rules/rule-set.ts';
import type { RulesStore } from './ports.ts';

export interface LoadedRules {
  ruleSet: RuleSet;
  version: number;
  problems: RuleProblem[];
}

/**
 * The rule set, kept for the life of the container and reloaded only when the table's
 * rules version moves: an unchanged table costs one small consistent read per use.
 * A store fault propagates (fail closed: no rules, no decision).
 */
export class RuleSetCache {
  private loaded: LoadedRules | undefined;

  constructor(private readonly store: RulesStore) {}

  async current(): Promise<LoadedRules> {
    const version = await this.store.version();
    if (this.loaded && this.loaded.version === version) return this.loaded;
    const { ruleSet, problems } = ruleSetFromItems(await this.store.items());
    this.loaded = { ruleSet, version, problems };
    return this.loaded;
  }
}
