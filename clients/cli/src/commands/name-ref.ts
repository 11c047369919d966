import type { AosClient } from '@aos/grpc-client';
import { UsageError, type CliContext } from '../cli-context';
import { looksLikeId, nameBesideId, subjectRefs, type IdLabels, type NamedKind } from '../output/id-labels';

export { looksLikeId, type NamedKind } from '../output/id-labels';

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
    return this.remember(kind, await this.get(kind, { name: ref })).id;
  }

  /**
   * The subject `ref` means, as roles and rules name it. A principal's name
   * (`alice`, or `user:alice` / `service:ci-bot` saying its kind) or id becomes
   * its subject, `agent:<name>` becomes `agent:<id>`; groups, roles, OIDC
   * subjects and subjects that carry an id are used as they are, without a call.
   */
  async subjectOf(ref: string): Promise<string> {
    const colon = ref.indexOf(':');
    const kind = colon > 0 ? ref.slice(0, colon) : '';
    const rest = ref.slice(colon + 1);
    switch (kind) {
      case 'agent':
        return `agent:${await this.idOf('agent', rest)}`;
      case 'user':
      case 'service':
        return looksLikeId(rest) || rest.startsWith('oidc:') ? ref : this.principalSubject({ name: rest }, kind);
      case '':
        return this.principalSubject(byIdOrName(ref));
      default:
        return ref;
    }
  }

  private async principalSubject(by: { id: string } | { name: string }, kind?: string): Promise<string> {
    const principal = this.remember(
      'principal',
      await this.client.governance.getPrincipal(by, { signal: this.signal }),
    );
    // Binding a user where the command said service (or the reverse) is not what was asked.
    if (kind !== undefined && !principal.subject.startsWith(`${kind}:`)) {
      throw new UsageError(`${kind}:${principal.name} is not a ${kind} principal: its subject is ${principal.subject}`);
    }
    return principal.subject;
  }

  private remember<Thing extends Found>(kind: NamedKind, found: Thing): Thing {
    this.byId.set(`${kind}:${found.id}`, Promise.resolve(found.name));
    return found;
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

  /** Labels for the principals and agents among `subjects` (`user:<id>`, `agent:<id>`, …), for labelSubject. */
  subjectLabels(subjects: Iterable<string>): Promise<IdLabels> {
    return this.labels(subjectRefs(subjects));
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
