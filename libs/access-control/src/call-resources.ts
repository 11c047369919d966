/**
 * Which resource a call of the public API is checked on, derived from its
 * request: the gateway's PermissionGuard, its MCP endpoint and the commands
 * service (each step of a plan, as it runs) derive it here, so the three
 * cannot disagree.
 */

/** Services whose requests' `id` names a resource of this kind (`agents/<id>`). */
const RESOURCE_KIND_BY_SERVICE: Readonly<Record<string, string>> = { AgentService: 'agents' };

/**
 * The resources a call of `service` with this request is checked on, every one
 * of which must be allowed (the MCP endpoint checks its tools by them too): one,
 * except for a Search that names its knowledge bases, checked on each
 * `kb/<id>` (so a rule granting one knowledge base lets its holder search it).
 */
export function resourcesOf(service: string, request: unknown): string[] {
  const named = (request as { knowledgeBaseIds?: unknown } | null)?.knowledgeBaseIds;
  if (service === 'KnowledgeService' && Array.isArray(named) && named.length > 0) {
    return named.map((id) => (typeof id === 'string' && id !== '' ? `kb/${id.toLowerCase()}` : '*'));
  }
  return [resourceOf(service, request)];
}

/** The one resource a call of `service` is checked on, for a call that names at most one. */
export function resourceOf(service: string, request: unknown): string {
  if (service === 'KnowledgeService') return knowledgeResourceOf(request);
  if (service === 'ContextService') return contextResourceOf(request);
  const kind = RESOURCE_KIND_BY_SERVICE[service];
  const id = (request as { id?: unknown } | null)?.id;
  // Lower case, as the services read ids (an upper-case UUID names the same agent):
  // otherwise a rule on agents/<id> could be sidestepped by changing the id's case.
  return kind && typeof id === 'string' && id !== '' ? `${kind}/${id.toLowerCase()}` : '*';
}

/**
 * `kb/<id>` for a call on one knowledge base (CreateKnowledgeBase, a list and a
 * search: `*`, the tenant; resources then filters each knowledge base inside).
 */
function knowledgeResourceOf(request: unknown): string {
  const r = (request ?? {}) as { knowledgeBaseId?: unknown; id?: unknown; knowledgeBase?: unknown };
  const id = typeof r.knowledgeBaseId === 'string' && r.knowledgeBaseId !== '' ? r.knowledgeBaseId : r.id;
  return typeof id === 'string' && id !== '' ? `kb/${id.toLowerCase()}` : '*';
}

/** `ctx/<scope>/<key>` for a call on one entry; `ctx/<scope>/*` for a list or a watch of a scope. */
function contextResourceOf(request: unknown): string {
  const r = (request ?? {}) as { scope?: unknown; key?: unknown };
  if (typeof r.scope !== 'string' || r.scope === '') return '*';
  return typeof r.key === 'string' && r.key !== '' ? `ctx/${r.scope}/${r.key}` : `ctx/${r.scope}/*`;
}
