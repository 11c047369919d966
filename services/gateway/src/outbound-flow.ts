/** The parts of a grpc-js server (or bidirectional) stream that tell whether the client keeps up. */
export interface OutboundCall {
  readonly writableNeedDrain: boolean;
  readonly cancelled: boolean;
  once(event: 'drain' | 'cancelled' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'cancelled' | 'close', listener: () => void): unknown;
}

/**
 * Resolves once the call takes more messages. Nest's gRPC server writes each
 * emitted value to the call and, when the call's buffer is full, queues the
 * rest in memory until 'drain'; a producer that awaits this after each value
 * keeps that queue at one message instead of the whole log.
 */
export function whenWritable(call: OutboundCall | undefined): Promise<void> {
  if (!call || call.cancelled || !call.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      resolve();
    };
    call.once('drain', done);
    // A client that goes away never drains; the producer then sees the Observable closed.
    call.once('cancelled', done);
    call.once('close', done);
  });
}
