import type { IncomingMessage } from 'node:http';
import { Metadata } from '@grpc/grpc-js';
import type { CallContext, CallContextResolver } from '../call-context.resolver';

/**
 * The HTTP headers that mean for an MCP request what the same gRPC metadata
 * means for a call: the credentials, the caller's own request id and its
 * trace context. Nothing else is read.
 */
const FORWARDED_HEADERS = ['authorization', 'x-request-id', 'x-correlation-id', 'traceparent'] as const;

/**
 * Authenticates one HTTP request of the MCP endpoint exactly as the gRPC
 * PermissionGuard authenticates a call: its headers become the call's
 * metadata and go through the same CallContextResolver (so the same
 * Authenticator, key freshness and revocation checks, and the same request
 * context with the caller's tenant, actor and grant subjects). Throws what
 * the Authenticator throws (UnauthenticatedError for missing, malformed,
 * unknown, revoked or expired credentials).
 */
export function establishHttpCall(request: IncomingMessage, calls: CallContextResolver): Promise<CallContext> {
  const metadata = new Metadata();
  for (const name of FORWARDED_HEADERS) {
    // Every value, so that two Authorization headers are refused as two metadata values are.
    for (const value of request.headersDistinct[name] ?? []) metadata.add(name, value);
  }
  return calls.establish(metadata);
}
