import { Metadata, type CallOptions as GrpcCallOptions, type Client, type MethodDefinition } from '@grpc/grpc-js';
import { toAosClientError } from './client-error';
import { GrpcServerStream, type ServerStream } from './server-stream';

/** Per-call settings; every field is optional. */
export interface CallOptions {
  /** Extra metadata for this call only, e.g. `{ 'x-request-id': '…' }`. */
  metadata?: Record<string, string>;
  /** Deadline in ms from now, overriding the client's; `Infinity` = none. */
  deadlineMs?: number;
  /** Cancels the call; the promise rejects (or the stream ends) with CANCELLED. */
  signal?: AbortSignal;
}

/**
 * A request as callers write it: every field optional at every depth, because
 * proto-loader fills in the proto3 defaults for whatever is left out.
 */
export type PartialMessage<T> = T extends (infer U)[]
  ? PartialMessage<U>[]
  : T extends object
    ? { [K in keyof T]?: PartialMessage<T[K]> }
    : T;

export type UnaryMethod<Req, Res> = (request: PartialMessage<Req>, options?: CallOptions) => Promise<Res>;
export type ServerStreamMethod<Req, Res> = (request: PartialMessage<Req>, options?: CallOptions) => ServerStream<Res>;

/**
 * Makes calls on one shared grpc-js client (one HTTP/2 channel for every
 * service) with the credentials metadata attached. Methods are bound once,
 * so a call allocates only its metadata copy and the call itself.
 */
export class CallInvoker {
  constructor(
    private readonly client: Client,
    private readonly baseMetadata: Metadata,
    private readonly unaryDeadlineMs: number,
    private readonly streamDeadlineMs: number,
  ) {}

  unary<Req, Res>(method: MethodDefinition<Req, Res>): UnaryMethod<Req, Res> {
    const { path, requestSerialize, responseDeserialize } = method;
    return (request, options) =>
      new Promise<Res>((resolve, reject) => {
        let detach = noop;
        const call = this.client.makeUnaryRequest<Req, Res>(
          path,
          requestSerialize,
          responseDeserialize,
          request as Req,
          this.metadataFor(options),
          this.grpcOptionsFor(options, this.unaryDeadlineMs),
          (error, response) => {
            detach();
            if (error) reject(toAosClientError(error));
            else resolve(response as Res);
          },
        );
        detach = cancelOnAbort(options?.signal, () => call.cancel());
      });
  }

  serverStream<Req, Res>(method: MethodDefinition<Req, Res>): ServerStreamMethod<Req, Res> {
    const { path, requestSerialize, responseDeserialize } = method;
    return (request, options) => {
      const call = this.client.makeServerStreamRequest<Req, Res>(
        path,
        requestSerialize,
        responseDeserialize,
        request as Req,
        this.metadataFor(options),
        this.grpcOptionsFor(options, this.streamDeadlineMs),
      );
      const stream = new GrpcServerStream<Res>(call);
      const detach = cancelOnAbort(options?.signal, () => stream.cancel());
      call.on('status', detach);
      return stream;
    };
  }

  private metadataFor(options: CallOptions | undefined): Metadata {
    // grpc-js keeps a reference to the metadata it is given, so each call gets its own copy.
    const metadata = this.baseMetadata.clone();
    if (options?.metadata) {
      for (const [key, value] of Object.entries(options.metadata)) metadata.set(key, value);
    }
    return metadata;
  }

  private grpcOptionsFor(options: CallOptions | undefined, defaultDeadlineMs: number): GrpcCallOptions {
    const deadlineMs = options?.deadlineMs ?? defaultDeadlineMs;
    return Number.isFinite(deadlineMs) ? { deadline: Date.now() + deadlineMs } : {};
  }
}

/** Runs `cancel` when the signal aborts; returns the function that stops listening. */
function cancelOnAbort(signal: AbortSignal | undefined, cancel: () => void): () => void {
  if (signal === undefined) return noop;
  if (signal.aborted) {
    cancel();
    return noop;
  }
  signal.addEventListener('abort', cancel, { once: true });
  return () => signal.removeEventListener('abort', cancel);
}

function noop(): void {}
