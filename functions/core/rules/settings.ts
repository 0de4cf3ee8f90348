/** A service's settings: its own fields over the defaults over the built-in ones, or held by an invalid item. */
import type { DecisionRecord, Effect } from '../decision-record.ts';
import { parseIsoDuration } from '../iso8601.ts';
import type { InvalidRule } from './invalid-items.ts';
import type { RuleIndex } from './rule-index.ts';
import type { RuleSet } from './rule-set.ts';
import type { ServiceSettings } from './schema.ts';

export interface Settings {
  defaultEffect: Effect;
  pendingTtl: string;
  pendingTtlMs: number;
  onRevoke: 'notify' | 'reject';
  mode: 'enforce' | 'dry-run' | 'off';
  /**
   * Set when an invalid settings item leaves the service's settings unknown: the service is
   * held, and nothing may act on its connections until the item is fixed.
   */
  held?: InvalidRule;
}

/** What applies when neither a service nor the defaults say otherwise. */
export const BUILT_IN_SETTINGS: Readonly<Settings> = Object.freeze({
  defaultEffect: 'review',
  pendingTtl: 'P7D',
  pendingTtlMs: 7 * 86_400_000,
  onRevoke: 'notify',
  mode: 'enforce',
});

const settingsCache = new WeakMap<RuleSet, Map<string, Settings>>();

/** A service's settings: its own fields over the defaults over the built-in defaults (review, P7D, notify, enforce). */
export function settingsFor(ruleSet: RuleSet, serviceId: string): Settings {
  let cache = settingsCache.get(ruleSet);
  if (!cache) {
    cache = new Map();
    settingsCache.set(ruleSet, cache);
  }
  const cached = cache.get(serviceId);
  if (cached) return cached;
  const service = ruleSet.services.get(serviceId);
  const defaults = ruleSet.defaults;
  const pendingTtl = service?.pendingTtl ?? defaults?.pendingTtl ?? BUILT_IN_SETTINGS.pendingTtl;
  const settings: Settings = {
    defaultEffect: service?.defaultEffect ?? defaults?.defaultEffect ?? BUILT_IN_SETTINGS.defaultEffect,
    pendingTtl,
    pendingTtlMs: parseIsoDuration(pendingTtl),
    onRevoke: service?.onRevoke ?? defaults?.onRevoke ?? BUILT_IN_SETTINGS.onRevoke,
    mode: service?.mode ?? defaults?.mode ?? BUILT_IN_SETTINGS.mode,
  };
  const held = holdOf(ruleSet.index, serviceId, service);
  if (held) settings.held = held;
  cache.set(serviceId, settings);
  return settings;
}

/**
 * The invalid item that holds a service, if any: its own, else one that may have held the
 * defaults, unless the service's own item sets every field (then no default reaches it).
 */
function holdOf(
  index: RuleIndex,
  serviceId: string,
  service: ServiceSettings | undefined,
): InvalidRule | undefined {
  const own = index.invalidServices.get(serviceId);
  if (own) return own;
  const complete =
    service !== undefined &&
    service.defaultEffect !== undefined &&
    service.pendingTtl !== undefined &&
    service.onRevoke !== undefined &&
    service.mode !== undefined;
  return complete ? undefined : index.heldByAny[0];
}

/** How long a review may wait: the deciding review rule's pendingTtl if it has one, else the service's settings. */
export function reviewTtlMs(ruleSet: RuleSet, record: DecisionRecord): number {
  if (record.decision === 'review' && record.rule !== null) {
    const rule = ruleSet.index.byId.get(record.rule);
    if (rule?.effect === 'review' && rule.pendingTtlMs !== undefined) return rule.pendingTtlMs;
  }
  return settingsFor(ruleSet, record.serviceId).pendingTtlMs;
}
