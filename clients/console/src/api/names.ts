import { Code } from '@connectrpc/connect';
import { useQuery } from '@tanstack/react-query';
import { looksLikeId, type NamedKind } from '@aos/domain';
import { agents, governance, knowledge, tools } from './transport';
import { isStatus } from './error-words';

/** A lookup answered this way means "no name to show"; the id is shown instead. */
const NAMELESS = [Code.NotFound, Code.PermissionDenied, Code.InvalidArgument, Code.Unimplemented];

async function readName(kind: NamedKind, id: string): Promise<string | null> {
  try {
    switch (kind) {
      case 'agent':
        return (await agents.getAgent({ id })).name;
      case 'principal':
        return (await governance.getPrincipal({ id })).name;
      case 'tool':
        return (await tools.getTool({ id })).name;
      case 'knowledge base':
        return (await knowledge.getKnowledgeBase({ id })).name;
    }
  } catch (error) {
    if (NAMELESS.some((code) => isStatus(error, code))) return null;
    throw error;
  }
}

// Names change rarely and a stale one still sits beside the right id.
const NAME_STALE_MS = 10 * 60_000;

/** The name of the `kind` with this id: one query per distinct id, shared by every place that shows it; undefined while unknown or when there is none. */
export function useName(kind: NamedKind, id: string): string | undefined {
  const name = useQuery({
    queryKey: ['name', kind, id],
    queryFn: () => readName(kind, id),
    // Only ids are looked up: `system` or an OIDC subject has no name to ask for.
    enabled: looksLikeId(id),
    staleTime: NAME_STALE_MS,
    gcTime: NAME_STALE_MS,
  });
  return name.data ?? undefined;
}
