import { DeadlineExceededError, UnavailableError } from '@aos/errors';
import type { EventFilter, RecordedEvent } from '@aos/event-store';
import { AccessModel, AccessModelError, ACCESS_MODEL_CATEGORIES } from './access-model';
import { authorizeSubjects, type Authorization } from './authorize';

/** What following the log needs from a service's host (libs/service-host's ServiceHost has it). */
export interface AccessModelHost {
  follow(
    name: string,
    filter: EventFilter,
    apply: (event: RecordedEvent) => void,
  ): { waitFor(position: number, timeoutMs: number): Promise<unknown> };
  isFollowing(): boolean;
}

/** The caller of a backend service, as far as authorization is concerned. */
export interface AccessCaller {
  tenantId: string;
  actor: { kind: string; id: string };
  /** The subjects the gateway resolved for the caller (its principal, roles' holders, OIDC groups). */
  grantSubjects?: readonly string[];
}

/**
 * An AccessModel a backend service follows itself, for decisions the gateway
 * cannot make alone (a search over knowledge bases, a context list, each step
 * of a plan as it runs): built from the governance streams like any other
 * projection of the host, so a subscription that stops is fatal to the
 * instance, and asked with the same authorizeSubjects as the gateway for the
 * caller's grant subjects.
 */
export class FollowedAccessModel {
  private constructor(
    readonly model: AccessModel,
    private readonly host: Pick<AccessModelHost, 'isFollowing'>,
    private readonly service: string,
    private readonly waitForPosition: (position: number, timeoutMs: number) => Promise<void>,
  ) {}

  /** Follows the governance categories into a fresh model (the host's caughtUp covers them). */
  static follow(host: AccessModelHost, service: string, warn: (message: string) => void): FollowedAccessModel {
    const model = new AccessModel();
    const subscriptions = ACCESS_MODEL_CATEGORIES.map((category) =>
      host.follow(`access-${category}`, { category }, (event) => {
        try {
          model.apply(event);
        } catch (error) {
          // One event the model cannot apply must not stop every decision; the others still count.
          if (!(error instanceof AccessModelError)) throw error;
          warn(`the access model skipped a governance event: ${error.message}`);
        }
      }),
    );
    const waitFor = (position: number, timeoutMs: number) =>
      Promise.all(subscriptions.map((s) => s.waitFor(position, timeoutMs))).then(() => undefined);
    return new FollowedAccessModel(model, host, service, waitFor);
  }

  /**
   * Whether the caller holds `permission` on `resource` for any of its grant
   * subjects (an explicit deny of any wins). A caller that names none (a
   * service or an agent of the OS calling as itself) is asked about as its
   * own subject (`service:<id>`, `agent:<id>`).
   */
  decide(caller: AccessCaller, permission: string, resource: string): Authorization {
    this.assertLive();
    return authorizeSubjects(this.model, caller.tenantId, subjectsOf(caller), permission, resource);
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
      throw new UnavailableError(`the ${this.service} service stopped following the log; restart it`);
    }
  }
}

function subjectsOf(caller: AccessCaller): readonly string[] {
  return caller.grantSubjects ?? (caller.actor.kind === 'system' ? [] : [`${caller.actor.kind}:${caller.actor.id}`]);
}
