/** Decision records as a table for people; `--json` output is the records themselves. */
import Table from 'cli-table3';
import pc from 'picocolors';
import type { Connection } from '../functions/core/connection.ts';
import type { DecisionRecord, Effect } from '../functions/core/decision-record.ts';

const COLOR: Record<Effect, (text: string) => string> = {
  accept: pc.green,
  reject: pc.red,
  review: pc.yellow,
};

export function decisionTable(
  rows: readonly { connection: Connection; record: DecisionRecord }[],
  width = process.stdout.columns ?? 160,
): string {
  const fixed = [24, 14, 19, 10, 32];
  const reasonsWidth = Math.max(30, width - fixed.reduce((sum, w) => sum + w, 0) - 7);
  const table = new Table({
    head: ['endpoint', 'account', 'state', 'decision', 'rule', 'reasons'],
    colWidths: [...fixed, reasonsWidth],
    wordWrap: true,
    wrapOnWordBoundary: true,
    style: { head: [], border: [] },
  });
  for (const { connection, record } of rows) {
    const rule = record.rule ?? (record.default ? '(default)' : '(none)');
    table.push([
      record.endpointId,
      record.account,
      connection.state,
      COLOR[record.decision](record.decision),
      rule,
      record.reasons.join('\n'),
    ]);
  }
  return table.toString();
}
