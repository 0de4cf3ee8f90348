/**
 * Column widths that fit a terminal. Only text with spaces wraps: ids, ARNs and states are
 * single words that a person copies, so a column never gets narrower than its longest
 * word, and a table of them alone overflows rather than cutting one short.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal colour codes is the point.
const COLOUR = /\u001b\[[0-9;]*m/g;

const visible = (text: string): string => text.replace(COLOUR, '');
const longestLine = (text: string): number =>
  Math.max(
    0,
    ...visible(text)
      .split('\n')
      .map((l) => l.length),
  );
const longestWord = (text: string): number =>
  Math.max(
    0,
    ...visible(text)
      .split(/\s+/)
      .map((word) => word.length),
  );

/**
 * The width of each column (content only) so that the table, with `gap` between columns,
 * fits `width`: the widest column that can still wrap gives way first. No width: as wide
 * as the content.
 */
export function fitColumns(
  rows: readonly (readonly string[])[],
  width: number | undefined,
  gap: number,
): number[] {
  const columns = Math.max(0, ...rows.map((row) => row.length));
  const widths: number[] = [];
  const floors: number[] = [];
  for (let i = 0; i < columns; i++) {
    const cells = rows.map((row) => row[i] ?? '');
    widths.push(Math.max(1, ...cells.map(longestLine)));
    floors.push(Math.max(1, ...cells.map(longestWord)));
  }
  if (width === undefined) return widths;
  let excess = widths.reduce((sum, w) => sum + w, 0) + gap * Math.max(0, columns - 1) - width;
  while (excess > 0) {
    let widest = -1;
    for (let i = 0; i < columns; i++) {
      const room = (widths[i] ?? 0) - (floors[i] ?? 0);
      if (room > 0 && (widest < 0 || (widths[i] ?? 0) > (widths[widest] ?? 0))) widest = i;
    }
    if (widest < 0) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
    excess--;
  }
  return widths;
}

/** The terminal's width: the terminal's own, else `COLUMNS` (set it to wrap piped output); none when neither. */
export function terminalWidth(
  stream: { columns?: number | undefined } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): number | undefined {
  if (stream.columns && stream.columns > 0) return stream.columns;
  const columns = Number(env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : undefined;
}
