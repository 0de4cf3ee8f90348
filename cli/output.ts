/** How commands print: aligned tables for people, JSON for scripts, progress on stderr. */
import Table from 'cli-table3';
import pc from 'picocolors';
import type { Outcome } from '../functions/gate/ports.ts';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A borderless table whose columns line up; long cells wrap in the last column. */
export function printTable(head: string[], rows: string[][]): void {
  const table = new Table({
    head: head.map((h) => pc.bold(h)),
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  // One by one: spreading thousands of rows into one call can overflow the call stack.
  for (const row of rows) table.push(row);
  printLine(table.toString());
}

/** Progress for long work, on stderr so that stdout stays clean for --json. */
export function progress(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`${pc.dim(message)}\n`);
}

export const OUTCOME_STYLE: Record<Outcome, (text: string) => string> = {
  accepted: pc.green,
  rejected: pc.red,
  held: pc.yellow,
  expired: pc.magenta,
  revoked: pc.red,
  drift: pc.yellow,
  failed: pc.red,
  deleted: pc.dim,
  registered: pc.cyan,
};

export function outcomeText(outcome: Outcome, dryRun = false): string {
  return OUTCOME_STYLE[outcome](dryRun ? `would be ${outcome}` : outcome);
}

/** How long ago, in the largest whole unit. */
export function age(since: Date, now = new Date()): string {
  const seconds = Math.max(0, Math.round((now.getTime() - since.getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}
