import { MessagePattern } from '@nestjs/microservices';
import type { Subject } from '@aos/contracts';
import { parseBody } from './request-body';
import type { ServiceRequest } from './request-context';

/**
 * A NATS handler of `subject` (Nest's MessagePattern on its name) whose body
 * is checked against the subject's schema before the method runs: a body of
 * the wrong shape is INVALID_ARGUMENT naming the field, whatever the method
 * then validates itself.
 */
export function Receives<TBody, TReply>(subject: Subject<TBody, TReply>): MethodDecorator {
  return (target, key, descriptor) => {
    const handle = descriptor.value as unknown as (request: ServiceRequest<TBody>, ...rest: unknown[]) => unknown;
    const checked = function (this: unknown, request: ServiceRequest<unknown> | undefined, ...rest: unknown[]) {
      return handle.call(
        this,
        { ctx: request?.ctx, body: parseBody(subject.body, request?.body) } as ServiceRequest<TBody>,
        ...rest,
      );
    };
    Object.defineProperty(checked, 'name', { value: String(key) });
    (descriptor as PropertyDescriptor).value = checked;
    return MessagePattern(subject.name)(target, key, descriptor);
  };
}
