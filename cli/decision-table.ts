/** Decision records as a table for people; `--json` output is the records themselves. */
import Table from 'cli-table3';
import type { Connection } from '../functions/core/connection.ts';
import type { DecisionRecord, Effect } from '../functions/core/decision-record.ts';
import { colors } from '../terminal/colors.ts';
import { fitColumns, terminalWidth } from './column-widths.ts';

const COLOR: Record<Effect, (text: string) => string> = {
  accept: (text) => colors().green(text),
  reject: (text) => colors().red(text),
  review: (text) => colors().yellow(text),
};

export function decisionTable(
  rows: readonly { connection: Connection; record: DecisionRecord }[],
  width = terminalWidth(),
): string {
  const head = ['endpoint', 'account', 'state', 'decision', 'rule', 'reasons'];
  const cells = rows.map(({ connection, record }) => [
    record.endpointId,
    record.account,
    connection.state,
    COLOR[record.decision](record.decision),
    record.rule ?? (record.default ? '(default)' : '(none)'),
    record.reasons.join('\n'),
  ]);
  // Borders: one character either side of each column and a space of padding within it.
  const content = fitColumns([head, ...cells], width === undefined ? undefined : width - 4, 3);
  const table = new Table({
    head,
    colWidths: content.map((w) => w + 2),
    wordWrap: true,
    style: { head: [], border: [] },
  });
  for (const row of cells) table.push(row);
  return table.toString();
}
