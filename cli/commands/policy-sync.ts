/**
 * The work of `plgate policy push`, `pull` and `diff` (their options: policy-push-pull-diff.ts):
 * rule files against the rules table, with what a change does to the connections there are.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DynamoRulesStore } from '../../functions/aws/rules-store.ts';
import {
  loadRuleFiles,
  problemCountText,
  problemLine,
  problemLines,
  ruleFilesUnder,
} from '../../functions/core/rules/load-rule-files.ts';
import { openAcceptWarnings } from '../../functions/core/rules/open-accepts.ts';
import { ruleSetFromItems } from '../../functions/core/rules/rule-items.ts';
import { isRuleFileItem } from '../../functions/shared/tables.ts';
import { colors } from '../../terminal/colors.ts';
import { judge, servicesOf } from '../connection-lookup.ts';
import { withFleetTarget } from '../fleet-members.ts';
import type { FleetFlags } from '../fleet-settings.ts';
import { type GateTarget, type TargetFlags, withTarget } from '../gate-target.ts';
import { printJson, printLine } from '../output.ts';
import {
  type Consequences,
  consequencesText,
  countConsequences,
  ruleSetWith,
} from '../policy-consequences.ts';
import {
  BASE_FILE,
  canonicalItems,
  diffItems,
  digestOf,
  type Item,
  type ItemChange,
  keyOf,
  type PullBase,
  readBase,
  tableItems,
  writeBase,
} from '../policy-diff.ts';
import { pullChanges } from '../policy-pull.ts';
import { targetAdapters } from '../target-adapters.ts';

export interface SyncFlags extends TargetFlags, FleetFlags {
  json?: boolean;
  dryRun?: boolean;
  force?: boolean;
  prune?: boolean;
}

/** Validates every file first: a problem anywhere means nothing is written. */
async function filesOrExit(paths: string[]) {
  const loaded = await loadRuleFiles(paths);
  if (loaded.problemCount > 0) {
    for (const line of problemLines(loaded)) process.stderr.write(`${line}\n`);
    process.stderr.write(`${problemCountText(loaded)}: nothing was written\n`);
    process.exitCode = 1;
    return undefined;
  }
  for (const warning of openAcceptWarnings(loaded.ruleSet))
    process.stderr.write(`warning: ${warning.message}\n`);
  return canonicalItems(loaded.ruleSet);
}

async function readTable(target: GateTarget) {
  const store = new DynamoRulesStore(target.clients.dynamodb, target.config.rulesTable);
  const version = await store.version();
  const raw = (await store.items()).filter((item) => item.kind !== 'meta');
  return { store, version, raw, items: tableItems(raw) };
}

/** What `push` would do, computed as push computes it; exit 1 when push would write anything. */
export async function diff(paths: string[], flags: SyncFlags): Promise<void> {
  const files = await filesOrExit(paths);
  if (!files) return;
  const baseDir = await baseDirectoryOf(paths);
  const base = baseDir ? await readBase(baseDir) : undefined;
  await withFleetTarget(flags, 'plgate-policy-diff', async (target) => {
    const { plan, writes, version, items } = await planOf(target, files, flags.prune === true);
    if (flags.json) printJson(plan);
    else printChanges(plan);
    if (writes.length === 0) return;
    process.exitCode = 1;
    const refusal = refusalOf(
      base,
      version,
      items,
      writes.filter((c) => c.kind === 'removed'),
    );
    if (refusal) process.stderr.write(`plgate: this push would be refused: ${refusal}\n`);
  });
}

/** A change of the plan and what it would do to the connections there are now. */
export interface PlannedChange extends ItemChange {
  consequences?: Consequences;
}

interface PushPlan {
  store: DynamoRulesStore;
  version: number;
  items: Map<string, Item>;
  /** Every difference, the items the files do not mention as `kept` unless pruning. */
  plan: PlannedChange[];
  /** What the push would write: the plan without what it keeps. */
  writes: PlannedChange[];
}

/** The one plan `push` writes and `diff` shows. */
async function planOf(target: GateTarget, files: Map<string, Item>, prune: boolean): Promise<PushPlan> {
  const { store, version, raw, items } = await readTable(target);
  // What the files do not mention stays unless --prune: approvals, service settings and
  // rules written in the table are people's work too.
  const plan: PlannedChange[] = diffItems(items, files).map((c) =>
    c.kind === 'removed' && !prune ? { ...c, kind: 'kept' } : c,
  );
  const writes = plan.filter((c) => c.kind !== 'kept');
  if (writes.length > 0) await addConsequences(target, raw, writes);
  return { store, version, items, plan, writes };
}

export async function push(paths: string[], flags: SyncFlags): Promise<void> {
  const files = await filesOrExit(paths);
  if (!files) return;
  const baseDir = await baseDirectoryOf(paths);
  const base = baseDir ? await readBase(baseDir) : undefined;

  await withFleetTarget(flags, 'plgate-policy-push', async (target) => {
    const { store, version, items, plan, writes } = await planOf(target, files, flags.prune === true);
    if (flags.json) printJson(plan);
    else printChanges(plan);
    if (writes.length === 0) return;

    const removals = writes.filter((c) => c.kind === 'removed');
    const refusal = flags.force ? undefined : refusalOf(base, version, items, removals);
    if (refusal) {
      if (flags.dryRun) {
        process.stderr.write(`plgate: this push would be refused: ${refusal}\n`);
        process.exitCode = 1;
        return;
      }
      throw new PushRefusedError(refusal);
    }
    if (flags.dryRun) return;
    const puts = writes.flatMap((c) => (c.item && c.kind !== 'removed' ? [withoutMarks(c.item)] : []));
    // Claim the version the plan was made from before writing anything: if another push or
    // an edit (whose stream record moves the version) got in since the read, nothing is written.
    if (!(await store.conditionalBumpVersion(version))) {
      throw new PushRefusedError(
        `the rules table changed while this push was being planned (version ${version} moved on): nothing was written; run the push again`,
      );
    }
    await store.putItems(puts);
    await store.deleteItems(removals.map((c) => keyParts(c.key)));
    // Every cache reloads on the next decision. (The table's stream moves the version too.)
    await store.bumpVersion();
    const after = await readTable(target);
    // Only a pulled directory keeps a base; a push never leaves files in a directory of rules from git.
    if (baseDir && base)
      await writeBase(baseDir, {
        version: after.version,
        digest: digestOf(after.items),
        at: new Date().toISOString(),
      });
    if (!flags.json) printLine(`pushed: ${summary(plan)}; rules version ${after.version}`);
  });
}

/** Judges every live or waiting connection of the managed services (a hub's: its members') before and after each change. */
async function addConsequences(
  target: GateTarget,
  raw: readonly Item[],
  writes: PlannedChange[],
): Promise<void> {
  const adapters = targetAdapters(target);
  const table = new Map(raw.map((item) => [keyOf(item), item]));
  const before = ruleSetWith(table, []);
  const connections = [];
  for (const serviceId of await servicesOf(adapters)) {
    connections.push(
      ...(await adapters.endpointServices.describeConnections(serviceId)).filter((c) =>
        ['pendingAcceptance', 'pending', 'available'].includes(c.state),
      ),
    );
  }
  const judged = await judge(adapters, connections, before, { region: target.region });
  for (const change of writes) {
    change.consequences = countConsequences(judged, before, ruleSetWith(table, [change]));
  }
}

export async function pull(directory: string, flags: SyncFlags): Promise<void> {
  await mkdir(directory, { recursive: true });
  const existing = await ruleFilesUnder(directory);
  await withTarget(flags, async (target) => {
    const store = new DynamoRulesStore(target.clients.dynamodb, target.config.rulesTable);
    const version = await store.version();
    const raw = (await store.items()).filter(isRuleFileItem);
    const { ruleSet, problems } = ruleSetFromItems(raw);
    // On stderr also with --json: a person should see them whatever reads stdout.
    for (const problem of problems) {
      process.stderr.write(
        `skipped an invalid table item (fix it in the table; a push from ${directory} will not delete it): ${problemLine(problem)}\n`,
      );
    }
    const changed = await pullChanges(directory, existing, ruleSet);
    for (const file of changed) await writeFile(file.path, file.text);
    const digest = digestOf(tableItems(raw));
    const base = await readBase(directory).catch(() => undefined);
    if (changed.length > 0 || base?.digest !== digest || base.version !== version) {
      await writeBase(directory, { version, digest, at: new Date().toISOString() });
    }
    if (flags.json) {
      printJson({
        directory,
        version,
        written: changed.map((f) => f.path),
        skipped: problems.map((problem) => ({ ...problem, text: problemLine(problem) })),
      });
      return;
    }
    printLine(
      changed.length === 0
        ? `${directory} already holds the rules table (version ${version}): nothing written`
        : `pulled rules version ${version}: wrote ${changed.map((f) => f.path).join(', ')}`,
    );
  });
}

/** Why a push must not go ahead without --force, if it must not. */
function refusalOf(
  base: PullBase | undefined,
  version: number,
  items: Map<string, Item>,
  removals: ItemChange[],
): string | undefined {
  // The version moves on every write; only a change of content means someone edited the table.
  if (base && base.version !== version && base.digest !== digestOf(items)) {
    return `the rules table changed since the pull at ${base.at} (version ${base.version} → ${version}): pull again, or push with --force to overwrite`;
  }
  // An invalid item fails closed (an undetermined reject rule: it holds what it might
  // reject). A pull cannot write it into a file, so a push from there would delete it and
  // open the gate to what it held.
  const invalid = removals.filter((c) => items.get(c.key)?.invalid === true).map((c) => c.key);
  if (invalid.length > 0) {
    return `this push would delete ${invalid.length} invalid item(s) from the table: ${invalid.join(', ')}. An invalid item holds for review every request it might reject; fix it in the table or put its corrected form in the files, or push with --force to delete it`;
  }
  if (!base && removals.length > 0) {
    return `this push would remove ${removals.length} item(s) from the table and there is no ${BASE_FILE} from a pull to show they were not edited there: pull first, or push with --force`;
  }
  return undefined;
}

export class PushRefusedError extends Error {
  override name = 'PushRefusedError';
}

/** Where the pull base lives: the one directory pushed, or the directory of the files pushed. */
async function baseDirectoryOf(paths: string[]): Promise<string | undefined> {
  const dirs = new Set<string>();
  for (const path of paths) dirs.add((await stat(path)).isDirectory() ? path : dirname(path));
  return dirs.size === 1 ? [...dirs][0] : undefined;
}

function withoutMarks(item: Item): Item {
  const { invalid: _invalid, ...rest } = item;
  return rest;
}

function keyParts(key: string): { kind: string; id: string } {
  const slash = key.indexOf('/');
  return { kind: key.slice(0, slash), id: key.slice(slash + 1) };
}

function summary(changes: ItemChange[]): string {
  const count = (kind: ItemChange['kind']) => changes.filter((c) => c.kind === kind).length;
  const kept = count('kept');
  return `${count('added')} added, ${count('changed')} changed, ${count('removed')} removed${kept > 0 ? `, ${kept} kept (not in the files; --prune deletes them)` : ''}`;
}

function printChanges(changes: PlannedChange[]): void {
  if (changes.filter((c) => c.kind !== 'kept').length === 0 && changes.length > 0) {
    for (const change of changes) printLine(colors().dim(`= ${change.key} (kept: not in the files)`));
    printLine('no differences to write: the table holds what the files say');
    return;
  }
  if (changes.length === 0) {
    printLine('no differences: the table holds what the files say');
    return;
  }
  for (const change of changes) {
    const fate = change.consequences ? `  (${consequencesText(change.consequences)})` : '';
    if (change.kind === 'added') printLine(colors().green(`+ ${change.key}`) + fate);
    if (change.kind === 'removed') printLine(colors().red(`- ${change.key}`) + fate);
    if (change.kind === 'kept') printLine(colors().dim(`= ${change.key} (kept: not in the files)`));
    if (change.kind === 'changed') {
      printLine(colors().yellow(`~ ${change.key}`) + fate);
      for (const { field, table, files } of change.fields) {
        printLine(
          `    ${field}: ${JSON.stringify(table) ?? '(absent)'} → ${JSON.stringify(files) ?? '(absent)'}`,
        );
      }
    }
  }
  printLine(summary(changes));
}
