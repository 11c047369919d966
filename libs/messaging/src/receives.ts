import { MessagePattern } from '@nestjs/microservices';
import type { Subject } from '@aos/contracts';
import { metrics, secondsSince } from '@aos/metrics';
import { parseBody } from './request-body';
import type { ServiceRequest } from './request-context';
import { toWireError } from './rpc-error.filter';

/**
 * A NATS handler of `subject` (Nest's MessagePattern on its name) whose body
 * is checked against the subject's schema before the method runs: a body of
 * the wrong shape is INVALID_ARGUMENT naming the field, whatever the method
 * then validates itself. Each request is counted in aos_nats_requests_total
 * and timed in aos_nats_request_duration_seconds by subject and status code.
 */
export function Receives<TBody, TReply>(subject: Subject<TBody, TReply>): MethodDecorator {
  return (target, key, descriptor) => {
    const handle = descriptor.value as unknown as (request: ServiceRequest<TBody>, ...rest: unknown[]) => unknown;
    const checked = function (this: unknown, request: ServiceRequest<unknown> | undefined, ...rest: unknown[]) {
      const started = process.hrtime.bigint();
      const done = (code: string) => {
        const labels = { subject: subject.name, code };
        metrics.natsRequests.inc(labels);
        metrics.natsRequestSeconds.observe(labels, secondsSince(started));
      };
      let result: unknown;
      try {
        result = handle.call(
          this,
          { ctx: request?.ctx, body: parseBody(subject.body, request?.body) } as ServiceRequest<TBody>,
          ...rest,
        );
      } catch (err) {
        done(toWireError(err).code);
        throw err;
      }
      if (result instanceof Promise)
        result.then(
          () => done('OK'),
          (err: unknown) => done(toWireError(err).code),
        );
      else done('OK');
      return result;
    };
    Object.defineProperty(checked, 'name', { value: String(key) });
    (descriptor as PropertyDescriptor).value = checked;
    return MessagePattern(subject.name)(target, key, descriptor);
  };
}
