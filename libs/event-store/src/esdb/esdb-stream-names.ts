import type { EventFilter, StreamRef } from '../event-store.port';

/**
 * `<category>-<tenant>.<id>`: EventStoreDB's $by_category projection splits at the first '-',
 * so `$ce-<category>` keeps working across tenants. Neither tenant nor id may contain '.', and
 * a category never contains '-', so the name parses back unambiguously.
 */
export function esdbStreamName(ref: StreamRef): string {
  return `${ref.category}-${ref.tenantId}.${ref.id}`;
}

export interface EsdbStreamParts {
  category: string;
  tenantId: string;
  streamId: string;
}

export function parseEsdbStreamName(name: string): EsdbStreamParts | null {
  const dash = name.indexOf('-');
  const dot = name.indexOf('.', dash + 1);
  if (dash <= 0 || dot < 0) return null;
  return { category: name.slice(0, dash), tenantId: name.slice(dash + 1, dot), streamId: name.slice(dot + 1) };
}

/**
 * A stream-name regex for the server-side $all filter. It only matches streams this adapter
 * writes, which also keeps out system streams ($...) and anything else sharing the database.
 * Filter values are validated tokens ([a-z0-9-]), so they need no escaping.
 */
export function esdbStreamRegex(filter: EventFilter | undefined): string {
  const category = filter?.category ?? '[a-z][a-z0-9]*';
  const tenant = filter?.tenantId ?? '[a-z0-9][a-z0-9-]*';
  return `^${category}-${tenant}\\.[A-Za-z0-9_-]+$`;
}
