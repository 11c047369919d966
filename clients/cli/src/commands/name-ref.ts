import type { AosClient } from '@aos/grpc-client';
import type { CliContext } from '../cli-context';
import { nameBesideId, type IdLabels, type NamedKind } from '../output/id-labels';

export type { NamedKind } from '../output/id-labels';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs: an argument shaped like one is taken as an id, without a call (a name wins only otherwise). */
export function looksLikeId(ref: string): boolean {
  return UUID.test(ref);
}

/** A Get's target from an argument: by id, or by name (one call either way). */
export function byIdOrName(ref: string): { id: string } | { name: string } {
  return looksLikeId(ref) ? { id: ref } : { name: ref };
}

/**
 * A lookup answered this way means "no name to show"; the id is printed
 * instead. Anything else (the gateway unreachable, the call cancelled) is the
 * command's failure, as it would be for its main call.
 */
const NAMELESS = new Set(['NOT_FOUND', 'PERMISSION_DENIED', 'INVALID_ARGUMENT', 'UNIMPLEMENTED']);

interface Found {
  id: string;
  name: string;
}

/**
 * Names for one command invocation, in both directions: an argument that may
 * be a name becomes an id (the server's read model finds it by name: one Get,
 * never a listing), and an id the command prints gets its name beside it (one
 * Get per distinct id, cached for the invocation).
 */
export class NameRefs {
  private readonly byId = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly client: AosClient,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** The id `ref` names: itself when it is an id, else the one whose name it is (NOT_FOUND naming it otherwise). */
  async idOf(kind: NamedKind, ref: string): Promise<string> {
    if (looksLikeId(ref)) return ref;
    const found = await this.get(kind, { name: ref });
    this.byId.set(`${kind}:${found.id}`, Promise.resolve(found.name));
    return found.id;
  }

  idsOf(kind: NamedKind, refs: readonly string[]): Promise<string[]> {
    return Promise.all(refs.map((ref) => this.idOf(kind, ref)));
  }

  /** The name of the `kind` with this id, or undefined when there is none to show (unknown, not readable, not an id). */
  nameOf(kind: NamedKind, id: string): Promise<string | undefined> {
    if (!id) return Promise.resolve(undefined);
    const key = `${kind}:${id}`;
    let name = this.byId.get(key);
    if (!name) {
      name = this.get(kind, { id }).then(
        (found) => found.name,
        (error: unknown) => {
          if (NAMELESS.has(String((error as { code?: unknown }).code))) return undefined;
          throw error;
        },
      );
      this.byId.set(key, name);
    }
    return name;
  }

  /** `name (09d75c1d…)` for an id that has a name, else the id as it is. */
  async label(kind: NamedKind, id: string): Promise<string> {
    return nameBesideId(await this.nameOf(kind, id), id);
  }

  /** Labels of many ids at once, as a lookup a (synchronous) view can use; ids it was not given print as they are. */
  async labels(refs: Iterable<readonly [NamedKind, string]>): Promise<IdLabels> {
    const labels = new Map<string, string>();
    await Promise.all(
      [...refs].map(async ([kind, id]) => {
        if (id) labels.set(`${kind}:${id}`, await this.label(kind, id));
      }),
    );
    return (kind, id) => labels.get(`${kind}:${id}`) ?? id;
  }

  private async get(kind: NamedKind, by: { id: string } | { name: string }): Promise<Found> {
    const options = { signal: this.signal };
    switch (kind) {
      case 'agent':
        return this.client.agents.getAgent(by, options);
      case 'tool':
        return this.client.tools.getTool(by, options);
      case 'knowledge base':
        return this.client.knowledge.getKnowledgeBase(by, options);
      case 'principal':
        return this.client.governance.getPrincipal(by, options);
    }
  }
}

const invocations = new WeakMap<CliContext, NameRefs>();

/** The invocation's names: one cache per command run, so an id is looked up once however often it is printed. */
export async function nameRefsOf(ctx: CliContext): Promise<NameRefs> {
  const client = await ctx.connect();
  let refs = invocations.get(ctx);
  if (!refs) {
    refs = new NameRefs(client, ctx.signal);
    invocations.set(ctx, refs);
  }
  return refs;
}
