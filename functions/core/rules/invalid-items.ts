/**
 * Invalid rule items fail closed, by kind (DESIGN §3): an invalid service item holds that
 * service (no EC2 action at all on its connections); an invalid defaults item holds every
 * service that takes any setting from the defaults; an invalid accept rule is left out (it
 * could only have added accepts); an invalid reject or review rule, or one whose effect
 * cannot be read, is undetermined, so every connection in its scope is held for review. An
 * item whose kind or service cannot be read might have been any of these, so it counts as
 * all of them that could apply. Here: what an invalid item is, what it holds, and the
 * lenient readers of its fields.
 */
import { EFFECTS, type Effect } from '../decision-record.ts';
import type { RuleProblem } from './problems.ts';
import { PATTERNS } from './schema.ts';

/**
 * An item that failed validation. A settings item holds services; a rule whose effect is
 * accept is left out; any other acts as an undetermined reject rule (see the module comment).
 */
export interface InvalidRule {
  /** The item's id, or `<source>#<path>` when it has none that can be read. */
  id: string;
  /** 'rule' | 'service' | 'defaults' | 'file' | the unknown kind a table item had. */
  kind: string;
  /** The services an invalid rule names, when they can be read; absent: every service. */
  services?: string[];
  /** A rule's effect, when it can be read. */
  effect?: Effect;
  /**
   * The settings it may have been, so holds: one service's id, or ANY_SERVICE (the
   * defaults, or settings of a service nobody can tell). Absent: it holds no service.
   */
  holds?: string;
  /** Whether it may have been a reject or review rule, so it is undetermined in its scope (`services`). */
  undetermined?: boolean;
  problems: RuleProblem[];
}

/** `InvalidRule.holds` of an item that may have set the settings of any service. */
export const ANY_SERVICE = '*';

/** What an invalid item's own fields say it may have been: its kind, its id, its body. */
export interface InvalidEvidence {
  kind: unknown;
  id: unknown;
  body: unknown;
}

const KNOWN_KINDS: ReadonlySet<string> = new Set(['defaults', 'service', 'rule']);
/** Fields only a rule has: an item with one of them may have been a rule whatever its kind says. */
const RULE_ONLY_FIELDS = [
  'effect',
  'description',
  'enabled',
  'services',
  'match',
  'limits',
  'validFrom',
  'validUntil',
  'meta',
];

/**
 * Fails an invalid item closed (DESIGN §3, by kind), for every kind it may have been:
 * settings hold their service (or every service, when which one cannot be told); a rule
 * is undetermined in its scope unless its effect reads as accept (then it could only
 * have added accepts). A rule with no readable effect whose id is a settings id, or
 * cannot be read, may have been settings whose kind was damaged.
 */
export function failClosed(entry: InvalidRule, evidence: InvalidEvidence): void {
  const { kind, id, body } = evidence;
  const fields = isRecord(body) ? body : {};
  const effect = readableEffect(body);
  const serviceId = typeof id === 'string' && PATTERNS.service.test(id) ? id : undefined;
  const knownKind = typeof kind === 'string' && KNOWN_KINDS.has(kind);
  const mayBeRule =
    !knownKind ||
    kind === 'rule' ||
    RULE_ONLY_FIELDS.some((field) => Object.hasOwn(fields, field)) ||
    (kind === 'defaults' && id !== 'defaults') ||
    (kind === 'service' && serviceId === undefined);
  const mayBeSettings =
    !knownKind ||
    kind === 'defaults' ||
    kind === 'service' ||
    (effect === undefined && (id === 'defaults' || serviceId !== undefined || typeof id !== 'string'));
  if (mayBeSettings) {
    entry.holds =
      knownKind && kind !== 'defaults' && id !== 'defaults' && serviceId ? serviceId : ANY_SERVICE;
  }
  if (mayBeRule && effect !== 'accept') {
    entry.undetermined = true;
    const services = readableServices(body);
    if (services) entry.services = services;
    else if (kind !== 'service' && kind !== 'defaults') delete entry.services;
  }
  if (effect !== undefined && mayBeRule) entry.effect = effect;
}

/** An invalid item that acts as an undetermined reject rule. */
export function isUndeterminedRule(entry: InvalidRule): boolean {
  return entry.undetermined === true;
}

/** An invalid item that may have held the settings of any service (see RuleIndex.heldByAny). */
export function holdsAnyService(entry: InvalidRule): boolean {
  return entry.holds === ANY_SERVICE;
}

/** What an invalid item holds, in words for ledger entries, notices and reasons. */
export function heldByInvalid(entry: InvalidRule): string {
  const held: string[] = [];
  const fixed = 'until the item is fixed';
  if (entry.holds === ANY_SERVICE) {
    held.push(
      `every service without complete settings of its own is held: no accept, reject, expiry or revoke on its connections ${fixed}`,
    );
  } else if (entry.holds !== undefined) {
    held.push(
      `service ${entry.holds} is held: no accept, reject, expiry or revoke on its connections ${fixed}`,
    );
  }
  if (entry.undetermined) {
    const scope =
      entry.services === undefined
        ? 'every service'
        : `service${entry.services.length > 1 ? 's' : ''} ${entry.services.join(', ')}`;
    held.push(`every request of ${scope} is held for review, never accepted, ${fixed}`);
  }
  if (held.length === 0)
    return 'this accept rule accepts nothing until it is fixed; the other rules and the defaults decide';
  return held.join('; and ');
}

/** An item's effect field, when it is one of the effects. */
export function readableEffect(value: unknown): Effect | undefined {
  if (!isRecord(value)) return undefined;
  const effect = value.effect;
  return EFFECTS.find((known) => known === effect);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The services an invalid rule names, if its services field can be read; otherwise every service. */
export function readableServices(value: unknown): string[] | undefined {
  if (!isRecord(value) || !Array.isArray(value.services) || value.services.length === 0) return undefined;
  const services: string[] = [];
  for (const item of value.services) {
    if (typeof item !== 'string' || !PATTERNS.service.test(item)) return undefined;
    services.push(item);
  }
  return services;
}

export function readableRuleId(value: unknown): string | undefined {
  return isRecord(value) && typeof value.id === 'string' && PATTERNS.ruleId.test(value.id)
    ? value.id
    : undefined;
}
