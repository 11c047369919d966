import { ACCESS_MODEL_CATEGORIES, AccessModel, AccessModelError, authorizeSubjects } from '@aos/access-control';
import { DeadlineExceededError, UnavailableError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import type { ServiceHost } from '@aos/service-host';

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
 * resources service: its own AccessModel, built from the governance streams
 * like any other projection of the host (so a subscription that stops is
 * fatal to the instance, as for the resource streams), asked with the same
 * authorizeSubjects as the gateway for the caller's grant subjects.
 */
export class ResourceAccess {
  private constructor(
    private readonly model: AccessModel,
    private readonly host: Pick<ServiceHost, 'isFollowing'>,
    private readonly waitForPosition: (position: number, timeoutMs: number) => Promise<void>,
  ) {}

  /** Follows the governance categories into a fresh model (the host's caughtUp covers them). */
  static follow(host: Pick<ServiceHost, 'follow' | 'isFollowing'>, warn: (message: string) => void): ResourceAccess {
    const model = new AccessModel();
    const subscriptions = ACCESS_MODEL_CATEGORIES.map((category) =>
      host.follow(`access-${category}`, { category }, (event) => {
        try {
          model.apply(event);
        } catch (error) {
          // One event the model cannot apply must not stop every list and search; the others still count.
          if (!(error instanceof AccessModelError)) throw error;
          warn(`the access model skipped a governance event: ${error.message}`);
        }
      }),
    );
    const waitFor = (position: number, timeoutMs: number) =>
      Promise.all(subscriptions.map((s) => s.waitFor(position, timeoutMs))).then(() => undefined);
    return new ResourceAccess(model, host, waitFor);
  }

  /**
   * Whether the caller holds `permission` on `resource` for any of its grant
   * subjects (an explicit deny of any wins). A caller that names none (a
   * service or an agent of the OS calling as itself) is asked about as its
   * own subject (`service:<id>`, `agent:<id>`).
   */
  allows(ctx: RequestContext, permission: string, resource: string): boolean {
    this.assertLive();
    const subjects = ctx.grantSubjects ?? (ctx.actor.kind === 'system' ? [] : [`${ctx.actor.kind}:${ctx.actor.id}`]);
    return authorizeSubjects(this.model, ctx.tenantId, subjects, permission, resource).allowed;
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
  async waitFor(position: number, timeoutMs: number): Promise<void> {
    this.assertLive();
    if (position <= this.model.position) return;
    try {
      await this.waitForPosition(position, timeoutMs);
    } catch {
      this.assertLive();
      throw new DeadlineExceededError(`the access model did not reach log position ${position} within ${timeoutMs} ms`);
    }
  }

  assertLive(): void {
    if (!this.host.isFollowing()) {
      throw new UnavailableError('the resources service stopped following the log; restart it');
    }
  }
}
