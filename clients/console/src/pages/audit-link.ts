/** What the audit timeline is filtered by; empty means any. */
export interface AuditFilters {
  type: string;
  actorId: string;
  stream: string;
  /** Local date-time (YYYY-MM-DDTHH:mm[:ss]) the events are at or after. */
  from?: string;
  /** Local date-time the events are before. */
  to?: string;
}

/** The filters live in the address (?type=&actor=&stream=&from=&to=), so another page can link to a filtered timeline. */
export function auditFilterParams(filters: Partial<AuditFilters>): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.type) params.set('type', filters.type);
  if (filters.actorId) params.set('actor', filters.actorId);
  if (filters.stream) params.set('stream', filters.stream);
  if (filters.from) params.set('from', filters.from);
  if (filters.to) params.set('to', filters.to);
  return params;
}

export function auditLink(filters: Partial<AuditFilters>): string {
  const query = auditFilterParams(filters).toString();
  return query ? `/audit?${query}` : '/audit';
}
