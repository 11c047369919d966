/**
 * Plain-text layout for human output: aligned tables, streaming rows and
 * key/value blocks. Machine output is --json, so nothing here is parsed back.
 */
export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** Numbers read better right-aligned. */
  align?: 'left' | 'right';
  /** Longer cells are cut with an ellipsis. */
  maxWidth?: number;
}

/** A column of a table printed row by row, whose width cannot follow the data. */
export interface StreamColumn<Row> extends Column<Row> {
  width: number;
}

const GAP = '  ';
const ELLIPSIS = '…';

/** Header plus one line per row, every column as wide as its widest cell. */
export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => cell(column, row)));
  const widths = columns.map((column, i) =>
    Math.max(width(column.header), ...cells.map((line) => width(line[i] as string))),
  );
  const lines = [columns.map((c) => c.header), ...cells].map((line) => formatLine(line, widths, columns));
  return lines.join('\n') + '\n';
}

/** Prints the header once, then each row as it arrives, in fixed-width columns. */
export class StreamingTable<Row> {
  private readonly widths: number[];

  constructor(private readonly columns: readonly StreamColumn<Row>[]) {
    this.widths = columns.map((c) => Math.max(c.width, width(c.header)));
  }

  header(): string {
    return (
      formatLine(
        this.columns.map((c) => c.header),
        this.widths,
        this.columns,
      ) + '\n'
    );
  }

  row(row: Row): string {
    return (
      formatLine(
        this.columns.map((column) => cell(column, row)),
        this.widths,
        this.columns,
      ) + '\n'
    );
  }
}

/** `KEY  value` lines with the values aligned; an empty value shows as '-'. */
export function renderKeyValues(pairs: readonly (readonly [string, string])[]): string {
  const keyWidth = Math.max(0, ...pairs.map(([key]) => width(key)));
  return (
    pairs.map(([key, value]) => `${pad(key, keyWidth, 'left')}${GAP}${oneLine(value) || '-'}`.trimEnd()).join('\n') +
    '\n'
  );
}

function cell<Row>(column: Column<Row>, row: Row): string {
  const text = oneLine(column.value(row));
  return column.maxWidth !== undefined ? truncate(text, column.maxWidth) : text;
}

function formatLine<Row>(line: readonly string[], widths: readonly number[], columns: readonly Column<Row>[]): string {
  return line
    .map((text, i) => pad(text, widths[i] as number, columns[i]?.align ?? 'left'))
    .join(GAP)
    .trimEnd();
}

/** Newlines and tabs in user text would break the layout. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ');
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, Math.max(0, max - 1)).join('') + ELLIPSIS;
}

/** Width in code points, so a multi-byte character counts once. */
function width(text: string): number {
  return [...text].length;
}

function pad(text: string, to: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, to - width(text)));
  return align === 'right' ? fill + text : text + fill;
}
