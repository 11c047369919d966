import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_FILES, PROTO_LOADER_OPTIONS, PROTO_PACKAGE } from '@aos/contracts';

/**
 * A gRPC server speaking the real aos.v1 protocol (the same protos and loader
 * options as the gateway) that records every call and answers from the
 * handlers a test gives it; methods without a handler answer UNIMPLEMENTED.
 */
export interface RecordedCall {
  method: string;
  request: Record<string, unknown>;
  authorization: string | undefined;
}

export type UnaryHandler = (request: Record<string, unknown>) => unknown;
export type StreamHandler = (
  request: Record<string, unknown>,
  call: grpc.ServerWritableStream<unknown, unknown>,
) => void;

export interface FakeGateway {
  address: string;
  calls: RecordedCall[];
  stop(): void;
}

/** Thrown by a handler to answer with a gRPC status. */
export class StatusError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(details);
  }
}

export interface FakeHandlers {
  /** By method name, e.g. GetAgent. */
  unary?: Record<string, UnaryHandler>;
  streams?: Record<string, StreamHandler>;
}

export async function startFakeGateway(handlers: FakeHandlers): Promise<FakeGateway> {
  const loaded = grpc.loadPackageDefinition(loadSync(PROTO_FILES, PROTO_LOADER_OPTIONS));
  const pkg = PROTO_PACKAGE.split('.').reduce<grpc.GrpcObject>((node, part) => node[part] as grpc.GrpcObject, loaded);
  const calls: RecordedCall[] = [];
  const server = new grpc.Server();

  for (const serviceName of [
    'AgentService',
    'AuditService',
    'GovernanceService',
    'ToolService',
    'KnowledgeService',
    'ContextService',
  ]) {
    const service = (pkg[serviceName] as grpc.ServiceClientConstructor).service;
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const [method, definition] of Object.entries(service)) {
      const record = (call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>) =>
        calls.push({
          method,
          request: call.request as Record<string, unknown>,
          authorization: call.metadata.get('authorization')[0]?.toString(),
        });
      const streamHandler = definition.responseStream ? handlers.streams?.[method] : undefined;
      const unaryHandler = definition.responseStream ? undefined : handlers.unary?.[method];
      if (streamHandler) {
        implementation[method] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
          record(call);
          streamHandler(call.request as Record<string, unknown>, call);
        };
      } else if (unaryHandler) {
        implementation[method] = (
          call: grpc.ServerUnaryCall<unknown, unknown>,
          callback: grpc.sendUnaryData<unknown>,
        ) => {
          record(call);
          try {
            callback(null, unaryHandler(call.request as Record<string, unknown>));
          } catch (error) {
            const { code, details } = error as StatusError;
            callback({ code, details });
          }
        };
      }
    }
    server.addService(service, implementation);
  }

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, calls, stop: () => server.forceShutdown() };
}
