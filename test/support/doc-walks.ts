/**
 * The shell walks of a markdown file, as the docs test runs them. Every ```bash / ```sh
 * block is a step, run in order in one shell; the comment right before a block says when
 * it is not:
 *   <!-- not run by the docs test: REASON -->                  skipped (a deploy, the server itself)
 *   <!-- the docs test expects this to fail with: TEXT -->     must exit non-zero, saying TEXT
 */

export interface WalkStep {
  /** 1-based line of the block's opening fence. */
  line: number;
  script: string;
  /** Set when the block must fail, with what its output must contain. */
  fails?: string;
}

const SKIP = /<!--\s*not run by the docs test:[^>]*-->\s*$/;
const FAILS = /<!--\s*the docs test expects this to fail with:\s*(.+?)\s*-->\s*$/;

export function walkSteps(markdown: string): WalkStep[] {
  const lines = markdown.split('\n');
  const steps: WalkStep[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(bash|sh)\s*$/.test(lines[i] ?? '')) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ''); i++) body.push(lines[i] ?? '');
    const before = lines
      .slice(0, start)
      .filter((l) => l.trim() !== '')
      .at(-1);
    if (before && SKIP.test(before)) continue;
    const fails = before ? FAILS.exec(before)?.[1] : undefined;
    steps.push({ line: start + 1, script: body.join('\n'), ...(fails ? { fails } : {}) });
  }
  return steps;
}

/** One bash script that runs the steps in order and stops at the first that does not do as written. */
export function walkScript(file: string, steps: readonly WalkStep[]): string {
  const parts = ['set -eo pipefail'];
  for (const step of steps) {
    const where = `${file}:${step.line}`;
    parts.push(`echo ${quote(`--- ${where}`)} >&2`);
    if (step.fails === undefined) {
      parts.push(step.script);
      continue;
    }
    parts.push(
      `if out=$( { ${step.script}\n} 2>&1 ); then echo ${quote(`${where}: succeeded, the docs say it fails`)} >&2; exit 1; fi`,
      `case "$out" in *${quote(step.fails)}*) echo "$out" >&2 ;; *) echo ${quote(`${where}: failed without '${step.fails}':`)} "$out" >&2; exit 1 ;; esac`,
    );
  }
  return `${parts.join('\n')}\n`;
}

const quote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;
