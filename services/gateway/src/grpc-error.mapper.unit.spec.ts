import { status } from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { describe, expect, it, vi } from 'vitest';
import { AosError, ERROR_CODES, InvalidArgumentError, RevisionMismatchError } from '@aos/errors';
import { toGrpcError } from './grpc-error.mapper';

describe('toGrpcError', () => {
  it('maps every error code to the gRPC status of the same name', () => {
    for (const code of ERROR_CODES) {
      expect(toGrpcError(new AosError(code, 'm')).code).toBe(status[code]);
    }
  });

  it('keeps the message, so INVALID_ARGUMENT still names the field', () => {
    expect(toGrpcError(new InvalidArgumentError('agent.name', 'must not be empty'))).toEqual({
      code: status.INVALID_ARGUMENT,
      message: 'agent.name: must not be empty',
    });
    expect(toGrpcError(new RevisionMismatchError(1, 2)).code).toBe(status.ABORTED);
  });

  it('unwraps an RpcException around an AosError', () => {
    expect(toGrpcError(new RpcException(new AosError('NOT_FOUND', 'agent "x" not found')))).toEqual({
      code: status.NOT_FOUND,
      message: 'agent "x" not found',
    });
  });

  it('turns the log or NATS out of reach into UNAVAILABLE, looking through causes', () => {
    class EventStoreUnavailableError extends Error {
      override name = 'EventStoreUnavailableError';
    }
    const closed = Object.assign(new Error('connection closed'), { name: 'ClosedConnectionError' });
    for (const error of [
      new EventStoreUnavailableError('event store unavailable during append'),
      closed,
      new Error('wrapped', { cause: closed }),
    ]) {
      expect(toGrpcError(error).code, error.message).toBe(status.UNAVAILABLE);
    }
    expect(toGrpcError(new Error('wrapped', { cause: new TypeError('a bug') })).code).toBe(status.INTERNAL);
  });

  it('turns anything else into INTERNAL "internal error" and logs its stack', () => {
    const logger = new Logger('test');
    const error = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    expect(toGrpcError(new TypeError('secret internals'), logger)).toEqual({
      code: status.INTERNAL,
      message: 'internal error',
    });
    expect(error).toHaveBeenCalledWith(expect.stringContaining('TypeError: secret internals'));
  });
});
