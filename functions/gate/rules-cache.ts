import type { RuleProblem } from '../core/rules/problems.ts';
import { ruleSetFromItems } from '../core/rules/rule-items.ts';
import type { RuleSet } from '../core/rules/rule-set.ts';
import type { RulesStore } from './ports.ts';

/**
 * The rules table could not be read. Nothing is decided without rules: the event is
 * retried, the connections wait (held) and the handler counts it for an alarm.
 */
export class RulesUnreadableError extends Error {
  override name = 'RulesUnreadableError';
}

export interface LoadedRules {
  ruleSet: RuleSet;
  version: number;
  problems: RuleProblem[];
}

/**
 * The rule set, kept for the life of the container and reloaded when the table's rules
 * version moves: an unchanged table costs one small consistent read per use. Every writer
 * moves the version (plgate, and the rule-change handler for edits made in the table), and
 * a reload at least every `maxAgeMs` bounds how stale a copy can get should a version move
 * be lost. A store fault propagates (fail closed: no rules, no decision).
 */
export class RuleSetCache {
  private loaded: (LoadedRules & { at: number }) | undefined;

  constructor(
    private readonly store: RulesStore,
    private readonly options: { maxAgeMs?: number; now?: () => number } = {},
  ) {}

  async current(): Promise<LoadedRules> {
    const version = await this.read(() => this.store.version());
    const now = (this.options.now ?? Date.now)();
    const fresh = this.loaded && now - this.loaded.at < (this.options.maxAgeMs ?? DEFAULT_MAX_AGE_MS);
    if (this.loaded && fresh && this.loaded.version === version) return this.loaded;
    const { ruleSet, problems } = ruleSetFromItems(await this.read(() => this.store.items()));
    this.loaded = { ruleSet, version, problems, at: now };
    return this.loaded;
  }

  private async read<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throw new RulesUnreadableError(
        `the rules table cannot be read: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
}

const DEFAULT_MAX_AGE_MS = 5 * 60_000;
