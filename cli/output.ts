/** How commands print: aligned tables for people, JSON for scripts, progress on stderr. */
import { colors } from '../terminal/colors.ts';
import { type Cell, renderTable, terminalWidth } from '../terminal/table.ts';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A table in the one style of every command, fitted to the terminal (see terminal/table.ts). */
export function printTable(head: string[], rows: Cell[][], width = terminalWidth()): void {
  printLine(renderTable(head, rows, width));
}

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
