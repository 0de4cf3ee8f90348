/**
 * Rule sets to and from rules-table items (unmarshalled plain objects with `kind` and `id`):
 * defaults, services, rules and operators' decisions.
 */
import { isRuleFileItem } from '../../shared/tables.ts';
import { type InvalidRule, isRecord, readableRuleId } from './invalid-items.ts';
import {
  isOperatorKind,
  type OperatorDecisionItem,
  OperatorDecisionItemSchema,
  operatorDecisionItem,
  operatorDecisionOf,
} from './operator-decisions.ts';
import { issuesToProblems, type ProblemScope, problemAt } from './problems.ts';
import { compareIds } from './rule-index.ts';
import type { LoadedRuleSet, RuleSet } from './rule-set.ts';
import { type Origin, RuleSetBuilder } from './rule-set-builder.ts';
import {
  DefaultsItemSchema,
  PATTERNS,
  type Rule,
  type RuleItem,
  RuleOnlyItemSchema,
  ServiceItemSchema,
  TAG_VALUE_MAX,
} from './schema.ts';

/**
 * A rule set from rules-table items (unmarshalled plain objects with `kind` and `id`).
 * `meta` items are skipped. Invalid items are reported in `problems` and recorded in
 * `ruleSet.invalid`; they never open the gate (see the module comment).
 */
export function ruleSetFromItems(items: readonly unknown[]): LoadedRuleSet {
  const builder = new RuleSetBuilder();
  items.forEach((item, position) => {
    const kind = isRecord(item) ? item.kind : undefined;
    // The version and invitations share the table; they are not rules of any kind.
    if (isRecord(item) && !isRuleFileItem(item)) return;
    const rawId = isRecord(item) && typeof item.id === 'string' ? item.id : undefined;
    const origin: Origin = { source: 'table', where: `item ${position}` };
    const scope: ProblemScope = { source: 'table', ...(typeof kind === 'string' ? { kind } : {}) };
    if (rawId !== undefined) scope.ruleId = rawId;

    if (kind === 'defaults') {
      const parsed = DefaultsItemSchema.safeParse(item);
      if (parsed.success) {
        const { kind: _kind, id: _id, ...defaults } = parsed.data;
        builder.addDefaults(defaults, origin, scope);
      } else {
        builder.addInvalid(
          { id: 'defaults', kind: 'defaults', problems: issuesToProblems(parsed.error.issues, item, scope) },
          { kind, id: isRecord(item) ? item.id : undefined, body: item },
        );
      }
      return;
    }
    if (kind === 'service') {
      const parsed = ServiceItemSchema.safeParse(item);
      if (parsed.success) {
        const { kind: _kind, id, ...settings } = parsed.data;
        builder.addService(id, settings, origin, scope);
      } else {
        const id = rawId ?? `table#item-${position}`;
        const entry: InvalidRule = {
          id,
          kind: 'service',
          problems: issuesToProblems(parsed.error.issues, item, scope),
        };
        if (rawId !== undefined && PATTERNS.service.test(rawId)) entry.services = [rawId];
        builder.addInvalid(entry, { kind, id: isRecord(item) ? item.id : undefined, body: item });
      }
      return;
    }

    if (isOperatorKind(kind)) {
      const parsed = OperatorDecisionItemSchema.safeParse(item);
      if (parsed.success) {
        builder.addOperatorDecision(operatorDecisionOf(parsed.data));
        return;
      }
      // An unreadable approval or denial fails closed like an invalid rule: it holds
      // its service's requests (or every request when the service cannot be read).
      const serviceId = isRecord(item) ? item.serviceId : undefined;
      const entry: InvalidRule = {
        id: rawId ?? `table#item-${position}`,
        kind,
        problems: issuesToProblems(parsed.error.issues, item, scope),
      };
      const scoped = typeof serviceId === 'string' && PATTERNS.service.test(serviceId);
      // Scoped to its service, it is judged as the undetermined reject rule it could stand
      // for; with no readable service it is an item of unknown kind and holds everything.
      builder.addInvalid(
        entry,
        scoped
          ? { kind: 'rule', id: rawId, body: { effect: 'reject', services: [serviceId] } }
          : { kind, id: rawId, body: item },
      );
      return;
    }

    // A rule, or an item of a kind nobody knows: an invalid one fails closed for every kind
    // it may have been (see failClosed).
    const id = readableRuleId(item);
    const parsed = kind === 'rule' ? RuleOnlyItemSchema.safeParse(item) : undefined;
    const problems =
      parsed === undefined
        ? [
            problemAt(scope, ['kind'], 'must be one of defaults, service, rule (or meta)', {
              value: isRecord(item) ? item.kind : item,
            }),
          ]
        : parsed.success
          ? []
          : issuesToProblems(parsed.error.issues, item, scope);
    const duplicate =
      id === undefined ? undefined : builder.claimRuleId(id, origin, { ...scope, ruleId: id });
    if (duplicate) problems.unshift(duplicate);
    if (parsed?.success) {
      const tagProblem = restoreProtoTag(parsed.data, item);
      if (tagProblem) problems.push(problemAt({ ...scope, ruleId: parsed.data.id }, ...tagProblem));
    }
    if (parsed?.success && problems.length === 0) {
      const { kind: _kind, ...rule } = parsed.data;
      builder.addRule(rule);
      return;
    }
    const entry: InvalidRule = {
      id: id ?? rawId ?? `table#item-${position}`,
      kind: typeof kind === 'string' ? kind : 'unknown',
      problems,
    };
    builder.addInvalid(entry, { kind, id: isRecord(item) ? item.id : undefined, body: item });
  });
  return builder.build();
}

const PROTO = '__proto__';

/**
 * Puts back a tag condition on the key `__proto__`, which zod's records leave out (so that
 * it can never reach a prototype). Left out, the condition would silently widen the rule;
 * here it is an ordinary key, an own property. Returns the problem with its value, if any.
 */
export function restoreProtoTag(
  rule: Pick<Rule, 'match'>,
  raw: unknown,
): [path: string[], message: string, detail: { value: unknown }] | undefined {
  if (!isRecord(raw) || !isRecord(raw.match) || !isRecord(raw.match.tags)) return undefined;
  const tags = raw.match.tags;
  // An empty map would be no condition at all, so it is refused like an empty list: the
  // SDK's DynamoDB marshalling drops a `__proto__` key, and `{__proto__: x}` arrives as {}.
  if (Reflect.ownKeys(tags).length === 0)
    return [['match', 'tags'], 'must name at least one tag', { value: {} }];
  if (!Object.hasOwn(tags, PROTO)) return undefined;
  const value: unknown = Object.getOwnPropertyDescriptor(tags, PROTO)?.value;
  if (typeof value !== 'string' || value.length > TAG_VALUE_MAX) {
    return [['match', 'tags', PROTO], `must be a string of at most ${TAG_VALUE_MAX} characters`, { value }];
  }
  if (rule.match?.tags !== undefined) {
    Object.defineProperty(rule.match.tags, PROTO, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return undefined;
}

/** The rule set as rules-table items: defaults, services, rules, with the YAML field names plus kind and id. */
export function ruleSetToItems(ruleSet: RuleSet): RuleItem[] {
  const items: RuleItem[] = [];
  if (ruleSet.defaults !== undefined) items.push({ kind: 'defaults', id: 'defaults', ...ruleSet.defaults });
  for (const id of [...ruleSet.services.keys()].sort(compareIds)) {
    items.push({ kind: 'service', id, ...ruleSet.services.get(id) });
  }
  for (const rule of ruleSet.rules) items.push({ kind: 'rule', ...rule });
  return items;
}

/** The operators' approvals and denials as rules-table items, by endpoint id. */
export function operatorDecisionItems(ruleSet: RuleSet): OperatorDecisionItem[] {
  return [...(ruleSet.operatorDecisions?.values() ?? [])]
    .sort((a, b) => compareIds(a.endpointId, b.endpointId))
    .map(operatorDecisionItem);
}
