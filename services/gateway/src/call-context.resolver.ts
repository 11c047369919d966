import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import type { RequestContext } from '@aos/messaging';
import { AUTHENTICATOR, type Authenticator, type Principal } from './auth/authenticator';

export interface CallContext {
  principal: Principal;
  /** What travels with every NATS request made on behalf of this call. */
  ctx: RequestContext;
}

const CORRELATION_HEADERS = ['x-request-id', 'x-correlation-id'] as const;
const MAX_CORRELATION_ID_LENGTH = 128;
// W3C trace context, version 00 layout; anything else is dropped rather than
// written into the log as if it were a trace id.
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Authenticates a gRPC call and derives the request context it is forwarded with. */
@Injectable()
export class CallContextResolver {
  constructor(@Inject(AUTHENTICATOR) private readonly authenticator: Authenticator) {}

  async resolve(metadata: Metadata): Promise<CallContext> {
    const principal = await this.authenticator.authenticate(metadata);
    const traceparent = firstString(metadata, 'traceparent')?.toLowerCase();
    const ctx: RequestContext = {
      tenantId: principal.tenantId,
      actor: principal.actor,
      correlationId: callerCorrelationId(metadata) ?? randomUUID(),
    };
    if (traceparent && TRACEPARENT.test(traceparent)) ctx.traceparent = traceparent;
    return { principal, ctx };
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
