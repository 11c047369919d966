import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import type { AccessModel } from '@aos/access-control';
import { PermissionDeniedError } from '@aos/errors';
import { AccessModelFeed } from '../access-model.feed';
import type { Caller } from '../auth/authenticator';
import { CallContextResolver } from '../call-context.resolver';
import { authorize } from './authorize';
import { grpcMethodOf, requiredPermission } from './permission.registry';

/** Services whose requests' `id` names a resource of this kind (`agents/<id>`). */
const RESOURCE_KIND_BY_SERVICE: Readonly<Record<string, string>> = { AgentService: 'agents' };

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

    const refused = refusedResource(this.access.model, caller, permission, resourcesOf(ref.service, rpc.getData()));
    if (refused !== undefined) {
      throw new PermissionDeniedError(
        `${caller.identity.subject} lacks permission ${permission} on ${refused}, required by ${name}`,
      );
    }
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
 * The resources a call of `service` with this request is checked on, every one
 * of which must be allowed (the MCP endpoint checks its tools by them too): one,
 * except for a Search that names its knowledge bases, checked on each
 * `kb/<id>` (so a rule granting one knowledge base lets its holder search it).
 */
export function resourcesOf(service: string, request: unknown): string[] {
  const named = (request as { knowledgeBaseIds?: unknown } | null)?.knowledgeBaseIds;
  if (service === 'KnowledgeService' && Array.isArray(named) && named.length > 0) {
    return named.map((id) => (typeof id === 'string' && id !== '' ? `kb/${id.toLowerCase()}` : '*'));
  }
  return [resourceOf(service, request)];
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

/** The one resource a call of `service` is checked on, for a call that names at most one. */
export function resourceOf(service: string, request: unknown): string {
  if (service === 'KnowledgeService') return knowledgeResourceOf(request);
  if (service === 'ContextService') return contextResourceOf(request);
  const kind = RESOURCE_KIND_BY_SERVICE[service];
  const id = (request as { id?: unknown } | null)?.id;
  // Lower case, as the services read ids (an upper-case UUID names the same agent):
  // otherwise a rule on agents/<id> could be sidestepped by changing the id's case.
  return kind && typeof id === 'string' && id !== '' ? `${kind}/${id.toLowerCase()}` : '*';
}

/**
 * `kb/<id>` for a call on one knowledge base (CreateKnowledgeBase, a list and a
 * search: `*`, the tenant; resources then filters each knowledge base inside).
 */
function knowledgeResourceOf(request: unknown): string {
  const r = (request ?? {}) as { knowledgeBaseId?: unknown; id?: unknown; knowledgeBase?: unknown };
  const id = typeof r.knowledgeBaseId === 'string' && r.knowledgeBaseId !== '' ? r.knowledgeBaseId : r.id;
  return typeof id === 'string' && id !== '' ? `kb/${id.toLowerCase()}` : '*';
}

/** `ctx/<scope>/<key>` for a call on one entry; `ctx/<scope>/*` for a list or a watch of a scope. */
function contextResourceOf(request: unknown): string {
  const r = (request ?? {}) as { scope?: unknown; key?: unknown };
  if (typeof r.scope !== 'string' || r.scope === '') return '*';
  return typeof r.key === 'string' && r.key !== '' ? `ctx/${r.scope}/${r.key}` : `ctx/${r.scope}/*`;
}
