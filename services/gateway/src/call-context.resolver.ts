import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { AosError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import { AUTHENTICATOR, type Authenticator, type Caller } from './auth/authenticator';

export interface CallContext {
  caller: Caller;
  /** What travels with every NATS request made on behalf of this call. */
  ctx: RequestContext;
}

const CORRELATION_HEADERS = ['x-request-id', 'x-correlation-id'] as const;
const MAX_CORRELATION_ID_LENGTH = 128;
// W3C trace context, version 00 layout; anything else is dropped rather than
// written into the log as if it were a trace id.
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Authenticates a gRPC call and derives the request context it is forwarded
 * with. The PermissionGuard establishes the context before the handler runs;
 * the handler then reads it back by the call's Metadata object (one per call,
 * so a WeakMap keeps it exactly as long as the call).
 */
@Injectable()
export class CallContextResolver {
  private readonly established = new WeakMap<Metadata, CallContext>();

  constructor(@Inject(AUTHENTICATOR) private readonly authenticator: Authenticator) {}

  async establish(metadata: Metadata): Promise<CallContext> {
    const caller = await this.authenticator.authenticate(metadata);
    const { identity } = caller;
    const ctx: RequestContext = {
      // Always the caller's own tenant: nothing in a request can name another.
      tenantId: identity.tenantId,
      actor: identity.actor,
      correlationId: callerCorrelationId(metadata) ?? randomUUID(),
      // Whose grants apply, for services that decide per resource inside a call (knowledge search).
      grantSubjects: [...caller.grantSubjects],
    };
    const traceparent = firstString(metadata, 'traceparent')?.toLowerCase();
    if (traceparent && TRACEPARENT.test(traceparent)) ctx.traceparent = traceparent;
    const context = { caller, ctx };
    this.established.set(metadata, context);
    return context;
  }

  /** The context the guard established for this call; undefined when it established none. */
  peek(metadata: Metadata): CallContext | undefined {
    return this.established.get(metadata);
  }

  /** The context the guard established for this call. */
  of(metadata: Metadata | undefined): CallContext {
    const context = metadata && this.established.get(metadata);
    // Only reachable if a handler ran without the guard: a bug, never a caller's fault.
    if (!context) throw new AosError('INTERNAL', 'call reached its handler without passing the permission guard');
    return context;
  }
}

/** The caller's own request id, so that its logs and our events share one id. */
function callerCorrelationId(metadata: Metadata): string | undefined {
  for (const key of CORRELATION_HEADERS) {
    const value = firstString(metadata, key)?.trim();
    if (value && value.length <= MAX_CORRELATION_ID_LENGTH) return value;
  }
  return undefined;
}

function firstString(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}
