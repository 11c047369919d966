import * as grpc from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { PROTO_FILES, PROTO_LOADER_OPTIONS, PROTO_PACKAGE } from '@aos/contracts';

export type AosService =
  | 'AgentService'
  | 'AuditService'
  | 'GovernanceService'
  | 'ToolService'
  | 'KnowledgeService'
  | 'ContextService'
  | 'TaskService'
  | 'RuntimeService'
  | 'CommandService';

/** How a call ended: its status, and what it returned before that. */
export interface CallOutcome {
  code: grpc.status;
  /** e.g. 'PERMISSION_DENIED'. */
  status: string;
  details: string;
  messages: unknown[];
}

type MethodDef = grpc.MethodDefinition<unknown, unknown>;

/** What GatewayCaller.unary rejects with: the status name and the server's message. */
export class CallFailed extends Error {
  constructor(
    readonly code: string,
    readonly details: string,
  ) {
    super(`${code}: ${details}`);
  }
}

/**
 * Calls any aos.v1 method by name with any `authorization` value (or none),
 * which the typed client cannot do: for tests that walk every method, or
 * send malformed credentials.
 */
export class GatewayCaller {
  private readonly client: grpc.Client;

  constructor(address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure());
  }

  /** Every method of a service, with whether it is a server stream. */
  static methods(service: AosService): { method: string; stream: boolean }[] {
    return Object.entries(definition(service)).map(([method, def]) => ({ method, stream: def.responseStream }));
  }

  /**
   * A unary call, or a server stream read until it ends (or for `streamWindowMs`,
   * after which it is cancelled and counted as OK). A bidirectional stream
   * gets `request` as its one message and is read the same way.
   */
  call(
    service: AosService,
    method: string,
    request: object,
    authorization: string | undefined,
    streamWindowMs = 1_000,
  ): Promise<CallOutcome> {
    const def = definition(service)[method];
    if (!def) throw new Error(`${service}.${method} is not in the protos`);
    const md = new grpc.Metadata();
    if (authorization !== undefined) md.set('authorization', authorization);
    const outcome = (code: grpc.status, details: string, messages: unknown[]): CallOutcome => ({
      code,
      status: grpc.status[code],
      details,
      messages,
    });
    if (!def.responseStream) {
      return new Promise((resolve) => {
        this.client.makeUnaryRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          request,
          md,
          { deadline: Date.now() + 30_000 },
          (err, reply) => resolve(err ? outcome(err.code, err.details, []) : outcome(grpc.status.OK, '', [reply])),
        );
      });
    }
    return new Promise((resolve) => {
      const messages: unknown[] = [];
      let cancelledByUs = false;
      let call: grpc.ClientReadableStream<unknown> | grpc.ClientDuplexStream<unknown, unknown>;
      if (def.requestStream) {
        const duplex = this.client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, md);
        duplex.write(request);
        call = duplex;
      } else {
        call = this.client.makeServerStreamRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          request,
          md,
        );
      }
      const timer = setTimeout(() => {
        cancelledByUs = true;
        call.cancel();
      }, streamWindowMs);
      call.on('data', (m: unknown) => messages.push(m));
      call.on('error', (err: grpc.ServiceError) => {
        clearTimeout(timer);
        resolve(cancelledByUs ? outcome(grpc.status.OK, '', messages) : outcome(err.code, err.details, messages));
      });
      call.on('end', () => {
        clearTimeout(timer);
        resolve(outcome(grpc.status.OK, '', messages));
      });
    });
  }

  /** A unary call that resolves with the reply or rejects with a CallFailed. */
  async unary<TReply>(service: AosService, method: string, request: object, apiKeyOrToken: string): Promise<TReply> {
    const def = definition(service)[method];
    if (!def) throw new Error(`${service}.${method} is not in the protos`);
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${apiKeyOrToken}`);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        request,
        md,
        { deadline: Date.now() + 30_000 },
        (err, reply) => (err ? reject(new CallFailed(grpc.status[err.code], err.details)) : resolve(reply as TReply)),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

let loaded: PackageDefinition | undefined;

function definition(service: AosService): Record<string, MethodDef> {
  loaded ??= loadSync(PROTO_FILES, PROTO_LOADER_OPTIONS);
  return loaded[`${PROTO_PACKAGE}.${service}`] as unknown as Record<string, MethodDef>;
}
