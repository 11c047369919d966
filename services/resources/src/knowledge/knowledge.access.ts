import {
  AccessModel,
  authorizeSubjects,
  subscribeAccessModel,
  type AccessModelSubscription,
} from '@aos/access-control';
import { DeadlineExceededError, UnavailableError } from '@aos/errors';
import type { EventStore } from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';

/** The permission a caller needs on `kb/<id>` to see the knowledge base in a list or a search. */
export const READ_PERMISSION = 'knowledge.read';

/**
 * Who may read which knowledge base, decided here (not only at the gateway)
 * because a list or a search spans knowledge bases: the service's own
 * AccessModel, following the governance streams of the log as the gateway's
 * does, asked with the same authorizeSubjects for the caller's grant
 * subjects. Following stops only with the log: then every question is
 * UNAVAILABLE rather than answered from a model that no longer sees changes.
 */
export class KnowledgeAccess {
  private constructor(
    private readonly model: AccessModel,
    private readonly subscription: AccessModelSubscription,
    /** Filled by the subscription's error handler; the first one stops answering. */
    private readonly failures: unknown[],
  ) {}

  /** Subscribes and resolves once the model has caught up with the log. */
  static async start(store: EventStore, warn: (message: string) => void): Promise<KnowledgeAccess> {
    const model = new AccessModel();
    const failures: unknown[] = [];
    const subscription = subscribeAccessModel(
      store,
      model,
      (error) => {
        failures.push(error);
        warn(`the access model stopped following the log: ${String((error as Error)?.message ?? error)}`);
      },
      (skipped) => warn(`the access model skipped a governance event: ${skipped.message}`),
    );
    await subscription.caughtUp.catch(async (err: unknown) => {
      await subscription.close();
      throw err;
    });
    return new KnowledgeAccess(model, subscription, failures);
  }

  /**
   * Whether the caller may read the knowledge base: `knowledge.read` on
   * `kb/<id>` for any of its grant subjects (an explicit deny of any wins).
   * A caller that names none (a service or an agent of the OS calling as
   * itself) is asked about as its own subject (`service:<id>`, `agent:<id>`).
   */
  mayRead(ctx: RequestContext, knowledgeBaseId: string): boolean {
    this.assertLive();
    const subjects = ctx.grantSubjects ?? (ctx.actor.kind === 'system' ? [] : [`${ctx.actor.kind}:${ctx.actor.id}`]);
    return authorizeSubjects(this.model, ctx.tenantId, subjects, READ_PERMISSION, `kb/${knowledgeBaseId}`).allowed;
  }

  /** Read-your-writes for a policy change: resolves once the model has applied `position`. */
  async waitFor(position: number, timeoutMs: number): Promise<void> {
    this.assertLive();
    if (position <= this.model.position) return;
    try {
      await this.subscription.waitFor(position, timeoutMs);
    } catch {
      this.assertLive();
      throw new DeadlineExceededError(`the access model did not reach log position ${position} within ${timeoutMs} ms`);
    }
  }

  assertLive(): void {
    if (this.failures.length > 0) {
      throw new UnavailableError('the resources service stopped following the governance log; restart it', {
        cause: this.failures[0],
      });
    }
  }

  close(): Promise<void> {
    return this.subscription.close();
  }
}
