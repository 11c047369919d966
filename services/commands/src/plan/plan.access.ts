import {
  FollowedAccessModel,
  isSystemPermission,
  resourcesOf,
  type AccessModel,
  type AccessModelHost,
} from '@aos/access-control';
import type { RequestContext } from '@aos/messaging';

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
  private constructor(private readonly access: FollowedAccessModel) {}

  static follow(host: AccessModelHost, warn: (message: string) => void): PlanAccess {
    return new PlanAccess(FollowedAccessModel.follow(host, 'commands', warn));
  }

  get model(): AccessModel {
    return this.access.model;
  }

  /** Whether the caller may call `service` with `request`, needing `permission`. */
  authorize(ctx: RequestContext, service: string, permission: string, request: unknown): StepAuthorization {
    this.access.assertLive();
    const resources = resourcesOf(service, request);
    if (isSystemPermission(permission)) {
      return { allowed: false, explanation: `${permission} is reserved to system administrators`, resources };
    }
    let explanation = '';
    for (const resource of resources) {
      const decision = this.access.decide(ctx, permission, resource);
      if (!decision.allowed) return { allowed: false, explanation: decision.explanation, resources, refused: resource };
      explanation = decision.explanation;
    }
    return { allowed: true, explanation, resources };
  }

  /** Resolves once the model has applied `position` (a role granted by an earlier step). */
  waitFor(position: number, timeoutMs: number): Promise<void> {
    return this.access.waitFor(position, timeoutMs);
  }

  assertLive(): void {
    this.access.assertLive();
  }
}

/** The caller as a subject, `user:<id>`: who a plan belongs to. */
export function subjectOf(ctx: RequestContext): string {
  return `${ctx.actor.kind}:${ctx.actor.id}`;
}
