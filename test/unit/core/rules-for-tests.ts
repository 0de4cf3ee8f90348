/** Builders for engine tests: connections, contexts and rule sets from plain objects. */
import type { Connection } from '../../../functions/core/connection.ts';
import type { EvaluationContext } from '../../../functions/core/evaluation-context.ts';
import { ruleSetFromItems } from '../../../functions/core/rules/rule-items.ts';
import type { RuleSet } from '../../../functions/core/rules/rule-set.ts';

export const SERVICE = 'vpce-svc-0a1b2c3d4e5f67890';
export const OTHER_SERVICE = 'vpce-svc-0123456789abcdef0';
export const NOW = new Date('2026-11-21T12:00:00Z');

export function connection(overrides: Partial<Connection> = {}): Connection {
  return {
    serviceId: SERVICE,
    endpointId: 'vpce-0b7a3c9d1e2f40516',
    account: '111111111111',
    state: 'pendingAcceptance',
    createdAt: new Date('2026-11-21T11:00:00Z'),
    region: 'us-east-1',
    ipAddressType: 'ipv4',
    tags: {},
    loadBalancerArns: [],
    ...overrides,
  };
}

export function context(overrides: Partial<EvaluationContext> = {}): EvaluationContext {
  return { now: NOW, ...overrides };
}

/** A rule set from table-shaped items; fails the test if any item is invalid. */
export function rules(...items: Record<string, unknown>[]): RuleSet {
  const { ruleSet, problems } = ruleSetFromItems(
    items.map((item) => ('kind' in item ? item : { kind: 'rule', ...item })),
  );
  if (problems.length > 0) throw new Error(`test rules are invalid: ${JSON.stringify(problems)}`);
  return ruleSet;
}
