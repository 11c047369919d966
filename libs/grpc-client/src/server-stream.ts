import { status as Status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { toAosClientError } from './client-error';

/**
 * The messages of a server-streaming call. Iterate it once with `for await`;
 * a non-OK status is thrown as an AosClientError after the messages that came
 * before it. `cancel()` ends the call and the iteration quietly; leaving the
 * loop early (break, throw) cancels the call too.
 */
export interface ServerStream<T> extends AsyncIterable<T> {
  cancel(): void;
}

export class GrpcServerStream<T> implements ServerStream<T> {
  private failure: ServiceError | undefined;
  private cancelled = false;

  constructor(private readonly call: ClientReadableStream<T>) {
    // Listen from the start: grpc-js emits 'error' for a failed status whether
    // or not anyone iterates yet, and an unheard 'error' event kills the process.
    call.on('error', (error: ServiceError) => {
      this.failure ??= error;
    });
  }

  cancel(): void {
    this.cancelled = true;
    this.call.cancel();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let settled = false;
    try {
      for await (const message of this.call) yield message as T;
      settled = true;
    } catch (error) {
      settled = true;
      this.failure ??= error as ServiceError;
    } finally {
      if (!settled) this.cancel();
    }
    // An error emitted before iteration began is not seen by the Readable
    // iterator (it just ends), so the recorded failure decides.
    if (this.failure === undefined) return;
    if (this.cancelled && this.failure.code === Status.CANCELLED) return;
    throw toAosClientError(this.failure);
  }
}
