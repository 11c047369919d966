import { InvalidArgumentError } from '@aos/errors';

/** Who is acting, for which tenant, as part of which request: travels with every NATS request. */
export interface RequestActor {
  kind: 'user' | 'service' | 'agent' | 'system';
  id: string;
}

export interface RequestContext {
  tenantId: string;
  actor: RequestActor;
  /** The originating request; every event it causes carries it. */
  correlationId: string;
  /** W3C traceparent of the incoming call, when the caller sent one. */
  traceparent?: string;
  /**
   * The subjects whose roles and rules apply to the caller (the gateway's
   * authenticated Caller.grantSubjects: its own subject, or an OIDC caller's
   * `group:<g>` subjects), for a service that decides per resource inside a
   * request (e.g. which knowledge bases a search may read). Never recorded in events.
   */
  grantSubjects?: string[];
}

/** The payload of every service request over NATS. */
export interface ServiceRequest<TBody> {
  ctx: RequestContext;
  body: TBody;
}

/** Tenant ids become NATS subject tokens in the log, so they have the log's shape. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ACTOR_KINDS: readonly string[] = ['user', 'service', 'agent', 'system'];
/**
 * Bounds of RequestContext.grantSubjects. An OIDC caller's groups are the
 * longest list: directories hand out hundreds (and Keycloak group paths are
 * long), and a caller the gateway let in must not be refused by the services.
 */
export const MAX_GRANT_SUBJECTS = 1024;
export const MAX_GRANT_SUBJECT_LENGTH = 1024;

/**
 * The context is set by the gateway (or another service); a bad one is still
 * refused by the receiving service rather than written into the log.
 */
export function validateRequestContext(ctx: RequestContext | undefined): RequestContext {
  if (!ctx || typeof ctx !== 'object') throw new InvalidArgumentError('ctx', 'the request context is missing');
  if (typeof ctx.tenantId !== 'string' || !TENANT_ID_PATTERN.test(ctx.tenantId)) {
    throw new InvalidArgumentError(
      'ctx.tenant_id',
      'must be 1-63 characters of [a-z0-9-], starting with a letter or digit',
    );
  }
  const actor = ctx.actor;
  if (!actor || typeof actor.id !== 'string' || actor.id === '' || !ACTOR_KINDS.includes(actor.kind)) {
    throw new InvalidArgumentError('ctx.actor', `must have an id and a kind (${ACTOR_KINDS.join(', ')})`);
  }
  if (typeof ctx.correlationId !== 'string') throw new InvalidArgumentError('ctx.correlation_id', 'is required');
  if (ctx.traceparent !== undefined && typeof ctx.traceparent !== 'string') {
    throw new InvalidArgumentError('ctx.traceparent', 'must be a string');
  }
  const subjects: unknown = ctx.grantSubjects;
  if (
    subjects !== undefined &&
    (!Array.isArray(subjects) ||
      subjects.length > MAX_GRANT_SUBJECTS ||
      !subjects.every((s) => typeof s === 'string' && s !== '' && s.length <= MAX_GRANT_SUBJECT_LENGTH))
  ) {
    throw new InvalidArgumentError(
      'ctx.grant_subjects',
      `must be a list of at most ${MAX_GRANT_SUBJECTS} subjects of 1-${MAX_GRANT_SUBJECT_LENGTH} characters`,
    );
  }
  return ctx;
}
