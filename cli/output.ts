/** How commands print: aligned tables for people, JSON for scripts, progress on stderr. */
import Table from 'cli-table3';
import { colors } from '../terminal/colors.ts';
import { fitColumns, terminalWidth } from './column-widths.ts';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/**
 * A borderless table whose columns line up and fit the terminal: text with spaces wraps
 * in its column (see column-widths.ts).
 */
export function printTable(head: string[], rows: string[][], width = terminalWidth()): void {
  const heading = head.map((h) => colors().bold(h));
  const table = new Table({
    head: heading,
    colWidths: fitColumns([heading, ...rows], width, GAP.length),
    wordWrap: true,
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
      middle: GAP,
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  // One by one: spreading thousands of rows into one call can overflow the call stack.
  for (const row of rows) table.push(row);
  // Padding to a wrapped column's width leaves trailing blanks that would wrap the line again.
  printLine(
    table
      .toString()
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n'),
  );
}

const GAP = '  ';

/** Progress for long work, on stderr so that stdout stays clean for --json. */
export function progress(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`${colors(process.env, process.stderr).dim(message)}\n`);
}

/** How long ago, in the largest whole unit. */
export function age(since: Date, now = new Date()): string {
  const seconds = Math.max(0, Math.round((now.getTime() - since.getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}
