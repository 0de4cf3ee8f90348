/**
 * Finding and reading rule files: `*.yaml` / `*.yml` in the paths given, directories
 * recursively (hidden folders and node_modules skipped), in a stable order. The CLI's
 * policy commands and `plgate local --rules` read them the same way.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatProblem, type RuleProblem } from './problems.ts';
import { ruleSetFromFiles } from './rule-files.ts';
import { type LoadedRuleSet, MAX_LISTED_PROBLEMS } from './rule-set.ts';

const RULE_FILE = /\.ya?ml$/i;

/** The paths name no rule file: a missing path, or a directory without any (a usage error in the CLI). */
export class RuleFilesNotFoundError extends Error {
  override name = 'RuleFilesNotFoundError';
}

/** The rule files under the given paths. Missing paths and paths with no rule files are usage errors. */
export async function findRuleFiles(paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) throw new RuleFilesNotFoundError('give at least one rule file or directory');
  const found = new Set<string>();
  for (const path of paths) {
    const info = await stat(path).catch((error: unknown) => {
      throw new RuleFilesNotFoundError(
        `cannot read ${path}: ${error instanceof Error && 'code' in error ? String(error.code) : String(error)}`,
        {
          cause: error,
        },
      );
    });
    if (info.isDirectory()) {
      const files = await walk(path);
      if (files.length === 0) throw new RuleFilesNotFoundError(`no rule files (*.yaml, *.yml) in ${path}`);
      for (const file of files) found.add(file);
    } else {
      // A file named explicitly is read whatever its extension.
      found.add(path);
    }
  }
  return [...found];
}

/** The rule files under a directory, none when it has none. */
export const ruleFilesUnder = (directory: string): Promise<string[]> => walk(directory);

async function walk(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) for (const file of await walk(path)) files.push(file);
    else if (entry.isFile() && RULE_FILE.test(entry.name)) files.push(path);
  }
  return files;
}

export interface LoadedRuleFiles extends LoadedRuleSet {
  files: string[];
}

/** Reads and validates every rule file under the paths into one rule set. */
export async function loadRuleFiles(paths: readonly string[]): Promise<LoadedRuleFiles> {
  const files = await findRuleFiles(paths);
  const texts = await Promise.all(files.map(async (path) => ({ path, text: await readFile(path, 'utf8') })));
  return { ...ruleSetFromFiles(texts), files };
}

/** A problem as the CLI prints it: the contract's one-line form, plus the line when known. */
export function problemLine(problem: RuleProblem): string {
  const text = formatProblem(problem);
  return problem.line === undefined ? text : `${text} (line ${problem.line})`;
}

/**
 * The problems of a rule set as the CLI prints them: the listed ones (at most
 * `MAX_LISTED_PROBLEMS`), then one line counting those not listed.
 */
export function problemLines(loaded: LoadedRuleSet): string[] {
  const lines = loaded.problems.map(problemLine);
  let shown = 0;
  for (const problem of loaded.problems) shown += problem.unlisted ?? 1;
  const more = loaded.problemCount - shown;
  if (more > 0) {
    lines.push(
      `and ${more} more problem${more === 1 ? '' : 's'} (the first ${MAX_LISTED_PROBLEMS} are listed)`,
    );
  }
  return lines;
}

/** `1 problem`, `200000 problems`: every problem found, listed or not. */
export function problemCountText(loaded: LoadedRuleSet): string {
  return `${loaded.problemCount} problem${loaded.problemCount === 1 ? '' : 's'}`;
}
