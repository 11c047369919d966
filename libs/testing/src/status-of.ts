import { AosClientError } from '@aos/grpc-client';

/** The gRPC error a call ends with; fails the test when the call succeeds or throws something else. */
export async function statusOf(call: Promise<unknown>): Promise<AosClientError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof AosClientError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}
