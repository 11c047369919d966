import { MessagePattern } from '@nestjs/microservices';
import { context, trace } from '@opentelemetry/api';
import type { Subject } from '@aos/contracts';
import { metrics, secondsSince } from '@aos/metrics';
import { recordServedCode } from '@aos/telemetry';
import { parseBody } from './request-body';
import type { ServiceRequest } from './request-context';
import { toWireError } from './rpc-error.filter';
import { messagingTracer, REQUEST_SPAN_KIND, requestSpanAttributes, withActiveTraceparent } from './request-tracing';

/**
 * A NATS handler of `subject` (Nest's MessagePattern on its name) whose body
 * is checked against the subject's schema before the method runs: a body of
 * the wrong shape is INVALID_ARGUMENT naming the field, whatever the method
 * then validates itself. Each request is counted in aos_nats_requests_total
 * and timed in aos_nats_request_duration_seconds by subject and status code,
 * and runs in a SERVER span named by the subject (continuing the sender's
 * trace, see TracedServerNats) whose traceparent the request context then
 * carries, so the events the handler appends name it.
 */
export function Receives<TBody, TReply>(subject: Subject<TBody, TReply>): MethodDecorator {
  return (target, key, descriptor) => {
    const handle = descriptor.value as unknown as (request: ServiceRequest<TBody>, ...rest: unknown[]) => unknown;
    const checked = function (this: unknown, request: ServiceRequest<unknown> | undefined, ...rest: unknown[]) {
      const started = process.hrtime.bigint();
      const span = messagingTracer.startSpan(subject.name, {
        kind: REQUEST_SPAN_KIND.process,
        attributes: requestSpanAttributes(subject.name, 'process', request?.ctx),
      });
      const done = (code: string, err?: unknown) => {
        const labels = { subject: subject.name, code };
        metrics.natsRequests.inc(labels);
        metrics.natsRequestSeconds.observe(labels, secondsSince(started));
        recordServedCode(span, code, err);
        span.end();
      };
      let result: unknown;
      try {
        result = context.with(trace.setSpan(context.active(), span), () =>
          handle.call(
            this,
            {
              ctx: withActiveTraceparent(request?.ctx),
              body: parseBody(subject.body, request?.body),
            } as ServiceRequest<TBody>,
            ...rest,
          ),
        );
      } catch (err) {
        done(toWireError(err).code, err);
        throw err;
      }
      if (result instanceof Promise)
        result.then(
          () => done('OK'),
          (err: unknown) => done(toWireError(err).code, err),
        );
      else done('OK');
      return result;
    };
    Object.defineProperty(checked, 'name', { value: String(key) });
    (descriptor as PropertyDescriptor).value = checked;
    return MessagePattern(subject.name)(target, key, descriptor);
  };
}
