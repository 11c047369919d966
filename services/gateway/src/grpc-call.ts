import type { ExecutionContext } from '@nestjs/common';

/** Nest's metadata key of a @GrpcMethod/@GrpcStreamMethod: `{ service, rpc, streaming }`. */
const PATTERN_METADATA = 'microservices:pattern';

interface GrpcPattern {
  service?: string;
  rpc?: string;
  streaming?: string;
}

/** The gRPC method a Nest handler serves, as the proto names it. */
export interface GrpcCall {
  /** The service's name in the proto (AgentService). */
  service: string;
  /** The method's (CreateAgent). */
  method: string;
  /** Whether it answers one message (not a stream). */
  unary: boolean;
}

/** Which gRPC method `context` is a call of, for metrics and spans. */
export function grpcCallOf(context: ExecutionContext): GrpcCall {
  const handler = context.getHandler();
  const patterns = Reflect.getMetadata(PATTERN_METADATA, handler) as GrpcPattern[] | undefined;
  const pattern = patterns?.[0];
  // Nest keeps the handler's name (createAgent); the proto's method is CreateAgent.
  const rpc = pattern?.rpc ?? handler.name;
  return {
    service: pattern?.service ?? context.getClass().name,
    method: `${rpc.charAt(0).toUpperCase()}${rpc.slice(1)}`,
    unary: pattern?.streaming === undefined || pattern.streaming === 'no_stream',
  };
}
