/**
 * `policy pull DIR`: brings rule files up to date with the rules table in place, the way a
 * person would edit them. Comments, order and layout stay (the yaml Document API); an item
 * is updated in the file that already holds it, field by field; a new item goes to the file
 * named for its kind (defaults.yaml, services.yaml, rules.yaml); an item the table no
 * longer has is taken out; an id is never written twice. Files that would not change are
 * not written.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Document, isMap, isScalar, isSeq, parseDocument, YAMLMap, YAMLSeq } from 'yaml';
import type { RuleSet } from '../functions/core/rules/rule-set.ts';

export interface PulledFile {
  path: string;
  text: string;
}

interface OpenFile {
  path: string;
  original: string | undefined;
  doc: Document;
}

const HEADER = ' Pulled from the rules table by `plgate policy pull`; edit and `plgate policy push` back.';
const FILE_FOR = { defaults: 'defaults.yaml', services: 'services.yaml', rules: 'rules.yaml' } as const;
type Section = keyof typeof FILE_FOR;

/** The files whose text a pull changes or creates, with their new text; empty when all are current. */
export async function pullChanges(
  directory: string,
  existing: readonly string[],
  ruleSet: RuleSet,
): Promise<PulledFile[]> {
  const files: OpenFile[] = [];
  for (const path of existing) {
    const original = await readFile(path, 'utf8');
    files.push({ path, original, doc: parseDocument(original) });
  }
  const fileFor = (section: Section): OpenFile => {
    const path = join(directory, FILE_FOR[section]);
    let file = files.find((f) => f.path === path);
    if (!file) {
      const doc = new Document({});
      doc.commentBefore = HEADER;
      file = { path, original: undefined, doc };
      files.push(file);
    }
    return file;
  };

  syncDefaults(files, ruleSet, fileFor);
  syncServices(files, ruleSet, fileFor);
  syncRules(files, ruleSet, fileFor);

  const changed: PulledFile[] = [];
  for (const file of files) {
    const text = keepLayout(file.original, file.doc.toString({ lineWidth: 0 }));
    if (file.original === undefined && isMap(file.doc.contents) && file.doc.contents.items.length === 0)
      continue;
    if (text !== file.original) changed.push({ path: file.path, text });
  }
  return changed;
}

function syncDefaults(files: OpenFile[], ruleSet: RuleSet, fileFor: (s: Section) => OpenFile): void {
  let placed = false;
  for (const file of files) {
    const node = file.doc.get('defaults', true);
    if (node === undefined) continue;
    if (ruleSet.defaults === undefined || placed) {
      file.doc.delete('defaults');
      continue;
    }
    placed = true;
    if (isMap(node)) syncMap(file.doc, node, ruleSet.defaults);
    else file.doc.set('defaults', file.doc.createNode(ruleSet.defaults));
  }
  if (!placed && ruleSet.defaults !== undefined) {
    const file = fileFor('defaults');
    file.doc.set('defaults', file.doc.createNode(ruleSet.defaults));
  }
}

function syncServices(files: OpenFile[], ruleSet: RuleSet, fileFor: (s: Section) => OpenFile): void {
  const placed = new Set<string>();
  for (const file of files) {
    const node = file.doc.get('services', true);
    if (!isMap(node)) continue;
    for (const pair of [...node.items]) {
      const id = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const wanted = ruleSet.services.get(id);
      if (wanted === undefined || placed.has(id)) {
        node.delete(pair.key);
        continue;
      }
      placed.add(id);
      if (isMap(pair.value)) syncMap(file.doc, pair.value, wanted);
      else node.set(pair.key, file.doc.createNode(wanted));
    }
  }
  for (const [id, settings] of [...ruleSet.services].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (placed.has(id)) continue;
    const file = fileFor('services');
    let node = file.doc.get('services', true);
    if (!isMap(node)) {
      node = new YAMLMap();
      file.doc.set('services', node);
    }
    (node as YAMLMap).set(id, file.doc.createNode(settings));
  }
}

function syncRules(files: OpenFile[], ruleSet: RuleSet, fileFor: (s: Section) => OpenFile): void {
  const wanted = new Map(ruleSet.rules.map((rule) => [rule.id, rule]));
  const placed = new Set<string>();
  for (const file of files) {
    const node = file.doc.get('rules', true);
    if (!isSeq(node)) continue;
    node.items = node.items.filter((item) => {
      const id = isMap(item) ? item.get('id') : undefined;
      const rule = typeof id === 'string' ? wanted.get(id) : undefined;
      if (typeof id !== 'string' || rule === undefined || placed.has(id)) return false;
      placed.add(id);
      syncMap(file.doc, item as YAMLMap, rule);
      return true;
    });
  }
  for (const rule of ruleSet.rules) {
    if (placed.has(rule.id)) continue;
    const file = fileFor('rules');
    let node = file.doc.get('rules', true);
    if (!isSeq(node)) {
      node = new YAMLSeq();
      file.doc.set('rules', node);
    }
    (node as YAMLSeq).add(file.doc.createNode(rule));
  }
}

/** Makes a YAML map hold exactly the wanted fields, touching only those that differ. */
function syncMap(doc: Document, node: YAMLMap, wanted: object): void {
  const entries = Object.entries(wanted).filter(([, value]) => value !== undefined);
  const keys = new Set(entries.map(([key]) => key));
  for (const pair of [...node.items]) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (!keys.has(key)) node.delete(pair.key);
  }
  for (const [key, value] of entries) {
    const current = node.get(key, true);
    const currentValue = current === undefined ? undefined : toJs(current);
    if (same(currentValue, value)) continue;
    if (isMap(current) && isPlainObject(value)) syncMap(doc, current, value);
    else node.set(key, doc.createNode(value));
  }
}

/**
 * The yaml printer pads every flow collection alike (`[ "a" ]`); a person may not have.
 * A printed line that differs from an original line only in that padding is the original
 * line, untouched: it goes back exactly as it was written.
 */
function keepLayout(original: string | undefined, printed: string): string {
  if (original === undefined) return printed;
  const unpadded = (line: string) => line.replace(/([[{])\s+/g, '$1').replace(/\s+([\]}])/g, '$1');
  const originals = new Map(original.split('\n').map((line) => [unpadded(line), line]));
  return printed
    .split('\n')
    .map((line) => originals.get(unpadded(line)) ?? line)
    .join('\n');
}

function toJs(node: unknown): unknown {
  return node !== null && typeof node === 'object' && 'toJSON' in node && typeof node.toJSON === 'function'
    ? node.toJSON()
    : node;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const same = (a: unknown, b: unknown): boolean => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, sorted(v)]),
    );
  }
  return value;
}
