import type { ContextChange, ContextEntry } from '@aos/contracts';
import { renderKeyValues, renderTable, StreamingTable, type Column } from './table';
import { formatTimestamp, formatYesNo } from './values';

/** A JSON value on one line (as sent, but without its line breaks). */
function compactValue(entry: ContextEntry): string {
  if (entry.deleted) return '';
  try {
    return JSON.stringify(JSON.parse(entry.valueJson));
  } catch {
    return entry.valueJson;
  }
}

function prettyValue(valueJson: string): string {
  try {
    return JSON.stringify(JSON.parse(valueJson), null, 2);
  } catch {
    return valueJson;
  }
}

/** The entry's fields, then its value as indented JSON (nothing for a deleted entry). */
export function renderContextEntry(entry: ContextEntry): string {
  const fields = renderKeyValues([
    ['SCOPE', entry.scope],
    ['KEY', entry.key],
    ['VERSION', String(entry.version)],
    ['DELETED', formatYesNo(entry.deleted)],
    ['UPDATED BY', entry.updatedBy],
    ['CREATED', formatTimestamp(entry.createTime)],
    ['UPDATED', formatTimestamp(entry.updateTime)],
    ['LOG POSITION', String(entry.logPosition)],
  ]);
  return entry.deleted ? fields : `${fields}\n${prettyValue(entry.valueJson)}\n`;
}

const ENTRY_COLUMNS: Column<ContextEntry>[] = [
  { header: 'KEY', value: (e) => e.key, maxWidth: 40 },
  { header: 'VERSION', value: (e) => String(e.version), align: 'right' },
  { header: 'UPDATED BY', value: (e) => e.updatedBy, maxWidth: 44 },
  { header: 'UPDATED', value: (e) => formatTimestamp(e.updateTime) },
  { header: 'VALUE', value: compactValue, maxWidth: 60 },
];

export function renderContextTable(entries: readonly ContextEntry[]): string {
  return entries.length === 0 ? 'No entries found.\n' : renderTable(ENTRY_COLUMNS, entries);
}

/** Fixed widths: a watch prints each change as it happens. */
export function contextChangeTable(): StreamingTable<ContextChange> {
  return new StreamingTable<ContextChange>([
    { header: 'POSITION', value: (c) => String(c.entry?.logPosition ?? ''), align: 'right', width: 8 },
    { header: 'CHANGE', value: (c) => (c.entry?.deleted ? 'DELETE' : 'PUT'), width: 6 },
    { header: 'KEY', value: (c) => c.entry?.key ?? '', width: 24, maxWidth: 40 },
    { header: 'VERSION', value: (c) => String(c.entry?.version ?? ''), align: 'right', width: 7 },
    { header: 'BY', value: (c) => c.entry?.updatedBy ?? '', width: 24, maxWidth: 44 },
    { header: 'VALUE', value: (c) => (c.entry ? compactValue(c.entry) : ''), width: 0, maxWidth: 80 },
  ]);
}
