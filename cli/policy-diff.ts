/**
 * Rule files against the rules table: the difference item by item and field by field,
 * compared in canonical form (both sides through the same schema, key order ignored),
 * and the base a `policy pull` leaves behind so that a later push can tell whether the
 * table was edited since.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  operatorDecisionItems,
  ruleSetFromItems,
  ruleSetToItems,
} from '../functions/core/rules/rule-items.ts';
import type { RuleSet } from '../functions/core/rules/rule-set.ts';
import { isRuleFileItem } from '../functions/shared/tables.ts';

export type Item = Record<string, unknown>;

export interface ItemChange {
  key: string;
  /** kept: in the table, not in the files, and left there (a push deletes only with --prune). */
  kind: 'added' | 'changed' | 'removed' | 'kept';
  /** Top-level fields that differ (changed items only). */
  fields: { field: string; table: unknown; files: unknown }[];
  item?: Item;
}

export const keyOf = (item: Item): string => `${String(item.kind)}/${String(item.id)}`;

/** Items in canonical form: what the schema makes of them, so defaults and order do not count. */
export function canonicalItems(ruleSet: RuleSet): Map<string, Item> {
  return new Map(ruleSetToItems(ruleSet).map((item) => [keyOf(item), canonical(item) as Item]));
}

/** The table's items in canonical form; invalid items keep their raw form (they always differ). */
export function tableItems(raw: readonly Item[]): Map<string, Item> {
  const items = raw.filter(isRuleFileItem);
  const { ruleSet } = ruleSetFromItems(items);
  const valid = canonicalItems(ruleSet);
  for (const item of operatorDecisionItems(ruleSet)) valid.set(keyOf(item), canonical(item) as Item);
  for (const item of items) {
    const key = keyOf(item);
    if (!valid.has(key)) valid.set(key, { ...(canonical(item) as Item), invalid: true });
  }
  return valid;
}

export function diffItems(table: Map<string, Item>, files: Map<string, Item>): ItemChange[] {
  const changes: ItemChange[] = [];
  for (const [key, item] of files) {
    const current = table.get(key);
    if (!current) changes.push({ key, kind: 'added', fields: [], item });
    else if (!same(current, item))
      changes.push({ key, kind: 'changed', fields: fieldDiff(current, item), item });
  }
  for (const key of table.keys()) {
    if (!files.has(key)) changes.push({ key, kind: 'removed', fields: [] });
  }
  return changes.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function fieldDiff(table: Item, files: Item): ItemChange['fields'] {
  const fields = [...new Set([...Object.keys(table), ...Object.keys(files)])].sort();
  return fields
    .filter((field) => !same(table[field], files[field]))
    .map((field) => ({ field, table: table[field], files: files[field] }));
}

const same = (a: unknown, b: unknown): boolean =>
  JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** Objects with sorted keys and no undefined fields, recursively. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}

/** A digest of the table's rule items: what a pull saw. */
export function digestOf(items: Map<string, Item>): string {
  const text = JSON.stringify([...items.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update(text).digest('hex');
}

// ---------------------------------------------------------------------------------------
// The base a pull leaves in its directory

export const BASE_FILE = '.plgate-base.json';

export interface PullBase {
  /** The rules version the table had. */
  version: number;
  /** digestOf the table's items at that time. */
  digest: string;
  at: string;
}

export async function readBase(directory: string): Promise<PullBase | undefined> {
  let text: string;
  try {
    text = await readFile(join(directory, BASE_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const value: unknown = JSON.parse(text);
  if (
    value !== null &&
    typeof value === 'object' &&
    'version' in value &&
    typeof value.version === 'number' &&
    'digest' in value &&
    typeof value.digest === 'string' &&
    'at' in value &&
    typeof value.at === 'string'
  ) {
    return { version: value.version, digest: value.digest, at: value.at };
  }
  throw new Error(`${join(directory, BASE_FILE)} is not a plgate pull base (version, digest, at)`);
}

export async function writeBase(directory: string, base: PullBase): Promise<void> {
  await writeFile(join(directory, BASE_FILE), `${JSON.stringify(base, null, 2)}\n`);
}
