import { FollowedAccessModel, type AccessModelHost } from '@aos/access-control';
import type { RequestContext } from '@aos/messaging';

/** The permission a caller needs on `kb/<id>` to see the knowledge base in a list or a search. */
export const KNOWLEDGE_READ = 'knowledge.read';
/** The permission a caller needs on `ctx/<scope>/<key>` to see the entry in a list. */
export const CONTEXT_READ = 'context.read';

/** The resource a permission on one shared context entry is checked on (as the gateway checks GetContext). */
export function contextResource(scope: string, key: string): string {
  return `ctx/${scope}/${key}`;
}

/**
 * Who may read which resource, decided here (not only at the gateway) for
 * calls that span resources — a knowledge base list or search, a context
 * list — which the gateway can only check on the tenant or the scope, where
 * a rule on one knowledge base or one key never matches. One for the whole
 * resources service, over its own FollowedAccessModel.
 */
export class ResourceAccess {
  private constructor(private readonly access: FollowedAccessModel) {}

  /** Follows the governance categories into a fresh model (the host's caughtUp covers them). */
  static follow(host: AccessModelHost, warn: (message: string) => void): ResourceAccess {
    return new ResourceAccess(FollowedAccessModel.follow(host, 'resources', warn));
  }

  /**
   * Whether the caller holds `permission` on `resource` for any of its grant
   * subjects (an explicit deny of any wins); see FollowedAccessModel.decide.
   */
  allows(ctx: RequestContext, permission: string, resource: string): boolean {
    return this.access.decide(ctx, permission, resource).allowed;
  }

  /** Whether the caller may read the knowledge base: `knowledge.read` on `kb/<id>`. */
  mayRead(ctx: RequestContext, knowledgeBaseId: string): boolean {
    return this.allows(ctx, KNOWLEDGE_READ, `kb/${knowledgeBaseId}`);
  }

  /** Whether the caller may read the shared context entry: `context.read` on `ctx/<scope>/<key>`. */
  mayReadContext(ctx: RequestContext, scope: string, key: string): boolean {
    return this.allows(ctx, CONTEXT_READ, contextResource(scope, key));
  }

  /** Read-your-writes for a policy change: resolves once the model has applied `position`. */
  waitFor(position: number, timeoutMs: number): Promise<void> {
    return this.access.waitFor(position, timeoutMs);
  }

  assertLive(): void {
    this.access.assertLive();
  }
}
