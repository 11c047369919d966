import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { resourcesOf, type AccessModel } from '@aos/access-control';
import { PermissionDeniedError } from '@aos/errors';
import { AccessModelFeed } from '../access-model.feed';
import type { Caller } from '../auth/authenticator';
import { CallContextResolver } from '../call-context.resolver';
import { authorize } from './authorize';
import { grpcMethodOf, requiredPermission } from './permission.registry';

export { resourceOf, resourcesOf } from '@aos/access-control';

/**
 * The gateway's one authorization point, global for every gRPC handler:
 * authenticates the call, then allows it only if the caller holds the
 * permission the handler declared with @RequiresPermission. A handler that
 * declares none is refused (deny by default).
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(
    @Inject(CallContextResolver) private readonly calls: CallContextResolver,
    @Inject(AccessModelFeed) private readonly access: AccessModelFeed,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    this.access.assertLive();
    const controller = context.getClass();
    const handler = methodName(controller, context.getHandler());
    const ref = grpcMethodOf(controller, handler);
    const name = ref ? `${ref.service}.${ref.method}` : `${controller.name}.${handler}`;
    if (context.getType() !== 'rpc' || !ref) throw new PermissionDeniedError(`${name} is not a gRPC method`);

    const rpc = context.switchToRpc();
    const { caller } = await this.calls.establish(rpc.getContext<Metadata>());
    const permission = requiredPermission(controller, handler);
    if (!permission) throw new PermissionDeniedError(`${name} declares no permission, so nobody may call it`);

    assertAllowed(this.access.model, caller, permission, resourcesOf(ref.service, rpc.getData()), name);
    return true;
  }
}

/**
 * The controller method's name. Nest's @GrpcStreamMethod replaces the method
 * with an anonymous wrapper (bidirectional streams), so the function's own
 * name is empty there: find it on the prototype instead.
 */
function methodName(controller: abstract new (...args: never[]) => unknown, handler: unknown): string {
  const prototype = controller.prototype as Record<string, unknown>;
  const own = (handler as { name?: string }).name;
  if (own && prototype[own] === handler) return own;
  return Object.getOwnPropertyNames(prototype).find((name) => prototype[name] === handler) ?? own ?? '';
}

/**
 * Throws PERMISSION_DENIED naming the first of `resources` the caller may not
 * use with `permission`, which `method` requires. The guard's check, and a
 * handler's for a resource known only once the call has been answered.
 */
export function assertAllowed(
  model: AccessModel,
  caller: Caller,
  permission: string,
  resources: readonly string[],
  method: string,
): void {
  const refused = refusedResource(model, caller, permission, resources);
  if (refused !== undefined) {
    throw new PermissionDeniedError(
      `${caller.identity.subject} lacks permission ${permission} on ${refused}, required by ${method}`,
    );
  }
}

/** The first of `resources` the caller may not use with `permission`, or undefined when it may use them all. */
export function refusedResource(
  model: AccessModel,
  caller: Caller,
  permission: string,
  resources: readonly string[],
): string | undefined {
  return resources.find((resource) => !authorize(model, caller, permission, resource).allowed);
}
