/**
 * Tables for people, one style for every command: columns without borders, two spaces
 * apart, a bold heading, fitted to the terminal's width. Text with spaces wraps in its
 * column. Ids, ARNs and states are single words a person copies: a column never gets
 * narrower than its longest word. When such words side by side are wider than the
 * terminal, each row becomes a record instead: the leading columns that fit stay a
 * table, the others follow the row as `label  value` lines, and only a word wider than
 * a whole line (a long ARN) wraps, after a `/` or a `:`. Nothing is ever cut.
 */
import { colors } from './colors.ts';

/** Text coloured as a whole: the colour is applied to each line it wraps into. */
export interface StyledText {
  text: string;
  style: (text: string) => string;
}

export type Cell = string | StyledText;

const GAP = '  ';
/** Indent of a record's `label  value` lines. */
const INDENT = '  ';

const textOf = (cell: Cell): string => (typeof cell === 'string' ? cell : cell.text);
const styleOf = (cell: Cell): ((text: string) => string) =>
  typeof cell === 'string' ? (text) => text : cell.style;

const longestLine = (text: string): number => Math.max(0, ...text.split('\n').map((l) => l.length));
const longestWord = (text: string): number => Math.max(0, ...text.split(/\s+/).map((word) => word.length));

/**
 * The width of each column (content only) so that the table, with `gap` between columns,
 * fits `width`: the widest column that can still wrap gives way first, never below its
 * longest word. No width: as wide as the content.
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

/**
 * Lines of at most `width` characters, broken at spaces. A word longer than a line is
 * broken after its last `/` or `:` that fits, else kept whole on a line of its own.
 */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      if (word.length > width) {
        // On lines of its own, so that only its separators break it.
        if (line !== '') lines.push(line);
        const pieces = breakWord(word, width);
        lines.push(...pieces.slice(0, -1));
        line = pieces.at(-1) ?? '';
      } else if (line === '') line = word;
      else if (line.length + 1 + word.length <= width) line = `${line} ${word}`;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** A word too long for a line, in pieces broken after a `/` or `:`; never cut elsewhere. */
function breakWord(word: string, width: number): string[] {
  const pieces: string[] = [];
  let rest = word;
  while (rest.length > width) {
    const cut = Math.max(rest.lastIndexOf('/', width - 1), rest.lastIndexOf(':', width - 1));
    if (cut <= 0) break;
    pieces.push(rest.slice(0, cut + 1));
    rest = rest.slice(cut + 1);
  }
  pieces.push(rest);
  return pieces;
}

/** The table as text (no trailing newline); `width` undefined: as wide as the content. */
export function renderTable(
  head: readonly string[],
  rows: readonly (readonly Cell[])[],
  width: number | undefined,
): string {
  const texts = rows.map((row) => row.map(textOf));
  const floors = fitColumns([head, ...texts], 0, GAP.length);
  const fits = (count: number) =>
    floors.slice(0, count).reduce((sum, w) => sum + w, 0) + GAP.length * Math.max(0, count - 1);
  const columns = head.length;
  if (width === undefined || fits(columns) <= width) return tableLines(head, rows, width).join('\n');
  let leading = 1;
  while (leading < columns && fits(leading + 1) <= width) leading++;
  return recordLines(head, rows, leading, width).join('\n');
}

function tableLines(
  head: readonly string[],
  rows: readonly (readonly Cell[])[],
  width: number | undefined,
): string[] {
  const bold = colors().bold;
  const widths = fitColumns([head, ...rows.map((row) => row.map(textOf))], width, GAP.length);
  const out = [
    rowLines(
      head.map((h) => ({ text: h, style: bold })),
      widths,
    ),
  ];
  for (const row of rows) out.push(rowLines(row, widths));
  return out.flat();
}

/** One row: its cells wrapped in their columns and set side by side. */
function rowLines(row: readonly Cell[], widths: readonly number[]): string[] {
  const wrapped = widths.map((width, i) => {
    const cell = row[i] ?? '';
    return { lines: wrapText(textOf(cell), width), style: styleOf(cell), width };
  });
  const height = Math.max(1, ...wrapped.map((c) => c.lines.length));
  const out: string[] = [];
  for (let line = 0; line < height; line++) {
    const parts = wrapped.map(({ lines, style, width }, i) => {
      const text = lines[line] ?? '';
      const padding = i === wrapped.length - 1 ? '' : ' '.repeat(Math.max(0, width - text.length));
      return `${text === '' ? '' : style(text)}${padding}`;
    });
    out.push(parts.join(GAP).trimEnd());
  }
  return out;
}

/** Rows as records: the first `leading` columns as a table, the rest as labelled lines under each row. */
function recordLines(
  head: readonly string[],
  rows: readonly (readonly Cell[])[],
  leading: number,
  width: number,
): string[] {
  const bold = colors().bold;
  const labels = head.slice(leading);
  const labelWidth = Math.max(0, ...labels.map((l) => l.length));
  const valueWidth = Math.max(1, width - INDENT.length - labelWidth - GAP.length);
  const widths = fitColumns(
    [head.slice(0, leading), ...rows.map((row) => row.slice(0, leading).map(textOf))],
    width,
    GAP.length,
  );
  const out = rowLines(
    head.slice(0, leading).map((h) => ({ text: h, style: bold })),
    widths,
  );
  for (const row of rows) {
    if (row !== rows[0]) out.push('');
    out.push(...rowLines(row.slice(0, leading), widths));
    labels.forEach((label, i) => {
      const cell = row[leading + i] ?? '';
      const style = styleOf(cell);
      wrapText(textOf(cell), valueWidth).forEach((text, n) => {
        const prefix = n === 0 ? bold(label) + ' '.repeat(labelWidth - label.length) : ' '.repeat(labelWidth);
        out.push(`${INDENT}${prefix}${GAP}${text === '' ? '' : style(text)}`.trimEnd());
      });
    });
  }
  return out;
}
