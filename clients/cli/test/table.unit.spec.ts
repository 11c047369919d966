import { describe, expect, it } from 'vitest';
import { renderKeyValues, renderTable, StreamingTable, type Column } from '../src/output/table';

interface Row {
  id: string;
  name: string;
  rev: number;
}

const COLUMNS: Column<Row>[] = [
  { header: 'ID', value: (r) => r.id },
  { header: 'NAME', value: (r) => r.name },
  { header: 'REV', value: (r) => String(r.rev), align: 'right' },
];

describe('renderTable', () => {
  it('aligns every column to its widest cell, numbers to the right, without trailing blanks', () => {
    const text = renderTable(COLUMNS, [
      { id: 'a1', name: 'billing-bot', rev: 3 },
      { id: 'b22', name: 'x', rev: 120 },
    ]);

    expect(text).toBe(['ID   NAME         REV', 'a1   billing-bot    3', 'b22  x            120', ''].join('\n'));
  });

  it('prints only the header for no rows', () => {
    expect(renderTable(COLUMNS, [])).toBe('ID  NAME  REV\n');
  });

  it('keeps each row on one line and cuts cells longer than maxWidth with an ellipsis', () => {
    const columns: Column<Row>[] = [
      { header: 'NAME', value: (r) => r.name, maxWidth: 6 },
      { header: 'ID', value: (r) => r.id },
    ];

    const text = renderTable(columns, [{ id: 'a', name: 'multi\nline\tname', rev: 0 }]);

    expect(text).toBe('NAME    ID\nmulti…  a\n');
  });

  it('counts a multi-byte character as one column', () => {
    const text = renderTable(COLUMNS, [
      { id: 'é→', name: 'n', rev: 1 },
      { id: 'abc', name: 'n', rev: 1 },
    ]);

    expect(text.split('\n')[1]).toBe('é→   n       1');
  });
});

describe('StreamingTable', () => {
  it('prints rows in fixed widths that match the header', () => {
    const table = new StreamingTable<Row>([
      { header: 'REV', value: (r) => String(r.rev), align: 'right', width: 5 },
      { header: 'ID', value: (r) => r.id, width: 4 },
      { header: 'NAME', value: (r) => r.name, width: 0 },
    ]);

    expect(table.header()).toBe('  REV  ID    NAME\n');
    expect(table.row({ rev: 7, id: 'a1', name: 'bot' })).toBe('    7  a1    bot\n');
    // A cell wider than its column pushes the rest instead of being lost.
    expect(table.row({ rev: 7, id: 'longer-id', name: 'bot' })).toBe('    7  longer-id  bot\n');
  });
});

describe('renderKeyValues', () => {
  it('aligns the values and shows an empty value as a dash', () => {
    expect(
      renderKeyValues([
        ['ID', 'a1'],
        ['DESCRIPTION', ''],
        ['STATE', 'ACTIVE'],
      ]),
    ).toBe(['ID           a1', 'DESCRIPTION  -', 'STATE        ACTIVE', ''].join('\n'));
  });
});
