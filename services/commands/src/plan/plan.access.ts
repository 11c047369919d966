import {
  ACCESS_MODEL_CATEGORIES,
  AccessModel,
  AccessModelError,
  authorizeSubjects,
  isSystemPermission,
  resourcesOf,
} from '@aos/access-control';
import { DeadlineExceededError, UnavailableError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import type { ServiceHost } from '@aos/service-host';

/** Whether a caller may make one call, and why (the first resource refused, when it may not). */
export interface StepAuthorization {
  allowed: boolean;
  explanation: string;
  /** The resources the call is checked on, every one of which must be allowed. */
  resources: string[];
  refused?: string;
}

/**
 * Who may make which call of the public API, decided as the gateway decides
 * it for a direct call (resourcesOf the request, authorizeSubjects for the
 * caller's grant subjects, `system.*` never): a plan never does what its
 * caller could not do by hand. The service's own AccessModel, followed like
 * its other projections (a subscription that stops is fatal to the instance).
 */
export class PlanAccess {
  private constructor(
    readonly model: AccessModel,
    private readonly host: Pick<ServiceHost, 'isFollowing'>,
    private readonly waitForPosition: (position: number, timeoutMs: number) => Promise<void>,
  ) {}

  static follow(host: Pick<ServiceHost, 'follow' | 'isFollowing'>, warn: (message: string) => void): PlanAccess {
    const model = new AccessModel();
    const subscriptions = ACCESS_MODEL_CATEGORIES.map((category) =>
      host.follow(`access-${category}`, { category }, (event) => {
        try {
          model.apply(event);
        } catch (error) {
          // One event the model cannot apply must not stop every plan; the others still count.
          if (!(error instanceof AccessModelError)) throw error;
          warn(`the access model skipped a governance event: ${error.message}`);
        }
      }),
    );
    const waitFor = (position: number, timeoutMs: number) =>
      Promise.all(subscriptions.map((s) => s.waitFor(position, timeoutMs))).then(() => undefined);
    return new PlanAccess(model, host, waitFor);
  }

  /** Whether the caller may call `service` with `request`, needing `permission`. */
  authorize(ctx: RequestContext, service: string, permission: string, request: unknown): StepAuthorization {
    this.assertLive();
    const resources = resourcesOf(service, request);
    if (isSystemPermission(permission)) {
      return { allowed: false, explanation: `${permission} is reserved to system administrators`, resources };
    }
    const subjects = ctx.grantSubjects ?? (ctx.actor.kind === 'system' ? [] : [subjectOf(ctx)]);
    let explanation = '';
    for (const resource of resources) {
      const decision = authorizeSubjects(this.model, ctx.tenantId, subjects, permission, resource);
      if (!decision.allowed) return { allowed: false, explanation: decision.explanation, resources, refused: resource };
      explanation = decision.explanation;
    }
    return { allowed: true, explanation, resources };
  }

  /** Resolves once the model has applied `position` (a role granted by an earlier step). */
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
      throw new UnavailableError('the commands service stopped following the log; restart it');
    }
  }
}

/** The caller as a subject, `user:<id>`: who a plan belongs to. */
export function subjectOf(ctx: RequestContext): string {
  return `${ctx.actor.kind}:${ctx.actor.id}`;
}
