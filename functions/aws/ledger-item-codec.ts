/**
 * How the ledger table's items are written and read back: the key of an endpoint's state
 * item, a history entry's item (partition, sort key with its digest, TTL), an endpoint's
 * state with its intent, and the checks of what goes into keys and expressions. The item
 * formats are the table's contract with every older version: change them only compatibly.
 */
import { createHash } from 'node:crypto';
import { EFFECTS } from '../core/decision-record.ts';
import type { EndpointState, Intent, LedgerEntry } from '../gate/ports.ts';
import { OUTCOMES } from '../gate/ports.ts';
import { TRIGGERS } from '../shared/events.ts';
import {
  LEDGER_ENTRY_PREFIX,
  LEDGER_STATE_SK,
  LEDGER_TABLE_KEY,
  LEDGER_TTL_ATTRIBUTE,
} from '../shared/tables.ts';

/** Partition of the rule-problem entries (never an endpoint id). */
export const RULES_PARTITION = 'rules';

export const ENDPOINT_ID = /^vpce-[0-9a-zA-Z]+$/;
export const SERVICE_ID = /^vpce-svc-[0-9a-zA-Z]+$/;
/** Leases are taken on endpoints (actions), services (enrollment) and a service's consumer accounts (limits). */
export const LEASE_KEY = /^(vpce-[0-9a-zA-Z]+|vpce-svc-[0-9a-zA-Z]+(#\d{12})?)$/;
export const ACCOUNT_ID = /^\d{12}$/;
const FLAG = /^[A-Za-z0-9:._-]{1,64}$/;

export class LedgerError extends Error {
  override name = 'LedgerError';
}

/** A history entry's item: the fields, the partition and sort key, and the TTL `retentionSeconds` after `at`. */
export function entryItem(
  partition: string,
  at: string,
  fields: Record<string, unknown>,
  suffix: string,
  retentionSeconds: number,
): Record<string, unknown> {
  return {
    ...fields,
    [LEDGER_TABLE_KEY.partitionKey]: partition,
    [LEDGER_TABLE_KEY.sortKey]: `${LEDGER_ENTRY_PREFIX}${at}#${suffix}`,
    [LEDGER_TTL_ATTRIBUTE]: Math.floor(Date.parse(at) / 1000) + retentionSeconds,
  };
}

export const stateKey = (endpointId: string): Record<string, string> => ({
  [LEDGER_TABLE_KEY.partitionKey]: endpointId,
  [LEDGER_TABLE_KEY.sortKey]: LEDGER_STATE_SK,
});

export function definedFields(entry: LedgerEntry): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined));
}

/** Reads an entry item back; a field of the wrong type means the table holds something we did not write. */
export function toLedgerEntry(item: Record<string, unknown>): LedgerEntry {
  const where = `ledger item ${String(item[LEDGER_TABLE_KEY.partitionKey])}/${String(item[LEDGER_TABLE_KEY.sortKey])}`;
  const field = <T>(name: string, ok: (value: unknown) => value is T, expected: string): T => {
    const value = item[name];
    if (!ok(value))
      throw new LedgerError(`${where}: ${name} must be ${expected}, got ${JSON.stringify(value)}`);
    return value;
  };
  const isString = (v: unknown): v is string => typeof v === 'string';
  const isNumber = (v: unknown): v is number => typeof v === 'number';
  const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
  const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
  const oneOf =
    <T extends string>(values: readonly T[]) =>
    (v: unknown): v is T =>
      typeof v === 'string' && (values as readonly string[]).includes(v);
  const isRule = (v: unknown): v is string | null => v === null || typeof v === 'string';
  const isAction = oneOf(['accept', 'reject', 'none'] as const);

  const entry: LedgerEntry = {
    at: field('at', isString, 'an ISO time'),
    endpointId: field('endpointId', isString, 'a string'),
    serviceId: field('serviceId', isString, 'a string'),
    account: field('account', isString, 'a string'),
    trigger: field('trigger', oneOf(TRIGGERS), `one of ${TRIGGERS.join(', ')}`),
    decision: field('decision', oneOf(EFFECTS), `one of ${EFFECTS.join(', ')}`),
    rule: item.rule === undefined ? null : field('rule', isRule, 'a string or null'),
    matched: item.matched === undefined ? [] : field('matched', isStrings, 'a list of strings'),
    reasons: item.reasons === undefined ? [] : field('reasons', isStrings, 'a list of strings'),
    action: field('action', isAction, 'accept, reject or none'),
    outcome: field('outcome', oneOf(OUTCOMES), `one of ${OUTCOMES.join(', ')}`),
    dryRun: item.dryRun === undefined ? false : field('dryRun', isBoolean, 'a boolean'),
    rulesVersion: item.rulesVersion === undefined ? 0 : field('rulesVersion', isNumber, 'a number'),
    state: field('state', isString, 'a string'),
  };
  const error = item.error;
  if (error !== undefined) {
    if (typeof error !== 'object' || error === null)
      throw new LedgerError(`${where}: error must be an object`);
    const code: unknown = Reflect.get(error, 'code');
    const message: unknown = Reflect.get(error, 'message');
    entry.error = {
      code: typeof code === 'string' ? code : 'Unknown',
      message: typeof message === 'string' ? message : '',
    };
  }
  if (item.actor !== undefined) entry.actor = field('actor', isString, 'a string');
  if (item.reason !== undefined) entry.reason = field('reason', isString, 'a string');
  if (item.decidedAt !== undefined) entry.decidedAt = field('decidedAt', isString, 'an ISO time');
  if (item.carriedBy !== undefined)
    entry.carriedBy = field('carriedBy', oneOf(TRIGGERS), `one of ${TRIGGERS.join(', ')}`);
  if (item.requestId !== undefined) entry.requestId = field('requestId', isString, 'a string');
  // Fleets' entries say where the service lives; a stack of one's (and every older release's) do not.
  if (item.serviceAccount !== undefined) entry.serviceAccount = field('serviceAccount', isString, 'a string');
  if (item.serviceRegion !== undefined) entry.serviceRegion = field('serviceRegion', isString, 'a string');
  return entry;
}

/** A decision's ledger item: partition, time, fields, and the digest its sort key ends in. */
export function entryOf(entry: LedgerEntry): {
  partition: string;
  at: string;
  fields: Record<string, unknown>;
  digest: string;
} {
  // A registration happens before any endpoint exists: it is recorded on the service.
  checkId('endpointId', entry.endpointId, entry.outcome === 'registered' ? SERVICE_ID : ENDPOINT_ID);
  const at = isoTime('at', entry.at);
  // The sort key is derived from the entry, so re-recording it (an intent finished after a crash) is a no-op.
  const digest = createHash('sha256')
    .update(JSON.stringify(definedFields(entry)))
    .digest('hex')
    .slice(0, 12);
  return { partition: entry.endpointId, at, fields: { ...definedFields(entry), at }, digest };
}

export function toEndpointState(item: Record<string, unknown>): EndpointState {
  const endpointId = item[LEDGER_TABLE_KEY.partitionKey];
  if (typeof endpointId !== 'string') throw new LedgerError('state item without an endpoint id');
  const flags: Record<string, string> = {};
  const rawFlags = item.flags;
  if (typeof rawFlags === 'object' && rawFlags !== null) {
    for (const [name, value] of Object.entries(rawFlags)) {
      if (typeof value === 'string') flags[name] = value;
    }
  }
  const state: EndpointState = { endpointId, flags };
  const { leaseHolder, leaseUntil, leaseToken, lastOutcome } = item;
  if (typeof leaseHolder === 'string' && typeof leaseUntil === 'string' && typeof leaseToken === 'number') {
    state.lease = { holder: leaseHolder, until: leaseUntil, token: leaseToken };
  }
  const outcome = OUTCOMES.find((o) => o === lastOutcome);
  if (outcome !== undefined) state.lastOutcome = outcome;
  if (item.intent !== undefined) state.intent = toIntent(endpointId, item.intent);
  return state;
}

export function intentItem(intent: Intent): Record<string, unknown> {
  return {
    ...Object.fromEntries(Object.entries(intent).filter(([, v]) => v !== undefined)),
    entry: definedFields(intent.entry),
  };
}

/** An unfinished intent read back; one we cannot read is an error, never skipped: it may stand for an action taken. */
export function toIntent(endpointId: string, raw: unknown): Intent {
  const where = `intent on ${endpointId}`;
  if (raw === null || typeof raw !== 'object') throw new LedgerError(`${where}: not a map`);
  const id: unknown = Reflect.get(raw, 'id');
  const token: unknown = Reflect.get(raw, 'token');
  const done: unknown = Reflect.get(raw, 'done');
  const entry: unknown = Reflect.get(raw, 'entry');
  const onceFlag: unknown = Reflect.get(raw, 'onceFlag');
  const noticeClaim: unknown = Reflect.get(raw, 'noticeClaim');
  if (typeof id !== 'string' || typeof token !== 'number' || typeof done !== 'boolean') {
    throw new LedgerError(`${where}: id, token and done must be a string, a number and a boolean`);
  }
  if (entry === null || typeof entry !== 'object') throw new LedgerError(`${where}: entry must be a map`);
  const intent: Intent = { id, token, done, entry: toLedgerEntry({ ...entry }) };
  if (typeof onceFlag === 'string') intent.onceFlag = onceFlag;
  if (typeof noticeClaim === 'number') intent.noticeClaim = noticeClaim;
  return intent;
}

export function checkId(field: string, value: unknown, pattern: RegExp): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new LedgerError(`${field}: not a valid id: ${JSON.stringify(value)}`);
  }
  return value;
}

export function checkFlag(flag: string): void {
  if (!FLAG.test(flag)) throw new LedgerError(`flag: must match ${FLAG.source}, got ${JSON.stringify(flag)}`);
}

export function checkLeaseMs(leaseMs: number): void {
  if (!Number.isInteger(leaseMs) || leaseMs < 1) {
    throw new LedgerError(`leaseMs: must be a positive whole number, got ${leaseMs}`);
  }
}

export function checkHolder(holder: string): void {
  if (typeof holder !== 'string' || holder === '' || holder.length > 256) {
    throw new LedgerError(
      `holder: must be a non-empty string of at most 256 characters, got ${JSON.stringify(holder)}`,
    );
  }
}

/** Normalises to `Date#toISOString` form, so that sort keys and `since` compare as times. */
export function isoTime(field: string, value: string): string {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new LedgerError(`${field}: not an ISO-8601 time: ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
}
