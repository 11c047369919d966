import type { KnowledgeBase } from '@aos/contracts';
import type { KnowledgeClient } from '@aos/grpc-client';
import { fetchAllPages } from './pagination';

/** Thrown when a `<kb>` argument is neither an id nor the name of a knowledge base the caller may read. */
export class KnowledgeBaseNotFoundError extends Error {
  override name = 'KnowledgeBaseNotFoundError';
  constructor(readonly ref: string) {
    super(`no knowledge base named "${ref}" among those you may read (\`aos kb list\` shows them)`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs, names are [a-z0-9_-]: an argument shaped like a UUID is taken as an id without a call. */
export function looksLikeKnowledgeBaseId(ref: string): boolean {
  return UUID.test(ref);
}

/**
 * Turns `<kb>` arguments (an id or a name) into ids, and ids into names for
 * display. The knowledge bases are listed at most once per command, and only
 * when a name needs it.
 */
export class KnowledgeBaseRefs {
  private listed: Promise<KnowledgeBase[]> | undefined;

  constructor(
    private readonly client: KnowledgeClient,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async idOf(ref: string): Promise<string> {
    if (looksLikeKnowledgeBaseId(ref)) return ref;
    const found = (await this.all()).find((kb) => kb.name === ref);
    if (!found) throw new KnowledgeBaseNotFoundError(ref);
    return found.id;
  }

  idsOf(refs: readonly string[]): Promise<string[]> {
    return Promise.all(refs.map((ref) => this.idOf(ref)));
  }

  /** Id → name of every knowledge base the caller may read. */
  async names(): Promise<Map<string, string>> {
    return new Map((await this.all()).map((kb) => [kb.id, kb.name]));
  }

  all(): Promise<KnowledgeBase[]> {
    this.listed ??= fetchAllPages(
      (pageToken: string) => this.client.listKnowledgeBases({ pageToken }, { signal: this.signal }),
      (page) => page.knowledgeBases,
    ).then(({ items }) => items);
    return this.listed;
  }
}
