/**
 * IAM decisions, remembered. The simulator takes a few hundred microseconds a call, about a
 * sixth of the local cloud's CPU in a burst, and the gate asks the same question thousands
 * of times (the same role, action and resource). A decision is a pure function of what the
 * simulator is given, so it is remembered under a key made of all of it: the principal, the
 * identity statements and the resource policy as written, the action, the resource and its
 * account, and those context values that a policy names (a context key no policy mentions
 * cannot change the outcome). Policies that use policy variables (`${...}`) key on the whole
 * context. A changed statement or policy makes a new key: nothing needs invalidating.
 */

/** What a decision depends on, in the simulator's terms. */
export interface DecisionInput {
  principal: string;
  action: string;
  resource: string;
  resourceAccount: string;
  context: Record<string, string | string[]>;
  /** The identity statements and the resource policy, as they are written. */
  policies: readonly unknown[];
}

/** More entries than any local run's distinct questions; past it, the cache starts over. */
export const MAX_DECISIONS = 10_000;

export class DecisionCache<T> {
  readonly #decisions = new Map<string, T>();
  /** Policies as JSON → the lower-cased text, to test which context keys they name. */
  readonly #policyText = new Map<string, string>();

  async decide(input: DecisionInput, simulate: () => Promise<T>): Promise<T> {
    const key = this.#keyOf(input);
    const known = this.#decisions.get(key);
    if (known !== undefined) return known;
    const decision = await simulate();
    if (this.#decisions.size >= MAX_DECISIONS) this.#decisions.clear();
    this.#decisions.set(key, decision);
    return decision;
  }

  get size(): number {
    return this.#decisions.size;
  }

  #keyOf(input: DecisionInput): string {
    const policies = JSON.stringify(input.policies);
    let text = this.#policyText.get(policies);
    if (text === undefined) {
      if (this.#policyText.size >= MAX_DECISIONS) this.#policyText.clear();
      text = policies.toLowerCase();
      this.#policyText.set(policies, text);
    }
    const usesVariables = text.includes('${');
    const context = Object.entries(input.context)
      .filter(([name]) => usesVariables || text.includes(JSON.stringify(name.toLowerCase())))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return JSON.stringify([
      input.principal,
      input.action,
      input.resource,
      input.resourceAccount,
      context,
      policies,
    ]);
  }
}
