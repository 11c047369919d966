import { ExportFormat, fromTimestamp, toProtoEvent, type Event } from '@aos/contracts';
import type { RecordedEvent } from '@aos/event-store';
import { InvalidArgumentError } from '@aos/errors';

/** The two file formats of AuditService.ExportEvents (audit.proto documents both). */
export type ExportFileFormat = 'jsonl' | 'csv' | 'bundle';

export const CSV_COLUMNS = ['position', 'time', 'type', 'stream', 'actor', 'request_id', 'data'] as const;

/** The request's format: the enum's name (proto-loader) or number (JSON callers); anything else names the field. */
export function exportFormatOf(value: unknown): ExportFileFormat {
  if (value === ExportFormat.EXPORT_FORMAT_JSONL || value === 1) return 'jsonl';
  if (value === ExportFormat.EXPORT_FORMAT_CSV || value === 2) return 'csv';
  if (value === ExportFormat.EXPORT_FORMAT_BUNDLE || value === 3) return 'bundle';
  throw new InvalidArgumentError('format', 'must be EXPORT_FORMAT_JSONL, EXPORT_FORMAT_CSV or EXPORT_FORMAT_BUNDLE');
}

function rfc3339(event: Event): string {
  return event.time ? fromTimestamp(event.time).toISOString() : '';
}

/** One JSONL line: the Event in proto3 JSON, every field present, int64 as strings. */
export function jsonlLine(event: Event): string {
  const m = event.metadata;
  return (
    JSON.stringify({
      id: event.id,
      type: event.type,
      stream: event.stream,
      revision: String(event.revision),
      position: String(event.position),
      time: rfc3339(event),
      dataJson: event.dataJson,
      metadata: {
        tenantId: m?.tenantId ?? '',
        actor: { kind: m?.actor?.kind ?? '', id: m?.actor?.id ?? '' },
        correlationId: m?.correlationId ?? '',
        causationId: m?.causationId ?? '',
        requestId: m?.requestId ?? '',
        traceparent: m?.traceparent ?? '',
        schemaVersion: m?.schemaVersion ?? 0,
      },
    }) + '\n'
  );
}

/** RFC 4180: quoted when it holds a comma, a double quote, CR or LF; inner quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvRecord(fields: readonly string[]): string {
  return fields.map(csvField).join(',') + '\r\n';
}

export function csvRow(event: Event): string {
  const actor = event.metadata?.actor;
  return csvRecord([
    String(event.position),
    rfc3339(event),
    event.type,
    event.stream,
    actor ? `${actor.kind}:${actor.id}` : '',
    event.metadata?.requestId ?? '',
    event.dataJson,
  ]);
}

export function exportLine(format: 'jsonl' | 'csv', event: Event): string {
  return format === 'jsonl' ? jsonlLine(event) : csvRow(event);
}

export function exportHeader(format: 'jsonl' | 'csv'): string {
  return format === 'csv' ? csvRecord(CSV_COLUMNS) : '';
}

/** How a file's lines are written: a text format's, or a bundle's (LogIntegrity), which needs the tenant's tree. */
export interface ExportWriter {
  /**
   * The first page: the file's start, and where the export ends: `until` (the
   * index head now, or the request's until_position if older), or for a bundle
   * its checkpoint's last event (or the request's until_position if older).
   */
  begin(until: number, requestedUntil: number): Promise<{ header: string; until: number; treeSize: number }>;
  /** A later page: the tree the first page fixed is at hand. */
  resume(treeSize: number): Promise<void>;
  line(event: RecordedEvent): string;
  /** After the last event (the totals over the whole file). */
  end(totals: { count: number; firstPosition: number; lastPosition: number }): string;
}

/** The writer of a JSONL or CSV export. */
export function textWriter(format: 'jsonl' | 'csv'): ExportWriter {
  return {
    begin: async (until) => ({ header: exportHeader(format), until, treeSize: 0 }),
    resume: async () => undefined,
    line: (event) => exportLine(format, toProtoEvent(event)),
    end: () => '',
  };
}
