import 'reflect-metadata';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';

/**
 * The permission each gateway method requires, declared on the method with
 * @RequiresPermission. The decorator writes here when the controller class is
 * evaluated, so importing the controllers is enough to list the declarations
 * (scripts/gen-role-table.ts does exactly that, without booting Nest); the
 * PermissionGuard reads the same map on every call.
 */
type ControllerClass = abstract new (...args: never[]) => unknown;

const declarations = new Map<ControllerClass, Map<string, string>>();

/** Declares the permission a gRPC handler requires; a handler without one is refused (deny by default). */
export function RequiresPermission(permission: string): MethodDecorator {
  if (!/^[a-z]+(\.[a-z]+)+$/.test(permission)) {
    throw new Error(`@RequiresPermission: ${JSON.stringify(permission)} is not a permission such as "agents.create"`);
  }
  return (target, key) => {
    const controller = (target as { constructor: ControllerClass }).constructor;
    let methods = declarations.get(controller);
    if (!methods) declarations.set(controller, (methods = new Map()));
    methods.set(String(key), permission);
  };
}

/** The permission declared for `controller.method`, or undefined when none was. */
export function requiredPermission(controller: ControllerClass, method: string): string | undefined {
  return declarations.get(controller)?.get(method);
}

export interface GrpcMethodRef {
  /** e.g. 'AgentService'. */
  service: string;
  /** The proto method name, e.g. 'CreateAgent'. */
  method: string;
}

/**
 * The gRPC method a controller method serves, from the metadata @GrpcMethod
 * (applied by the generated `@XServiceControllerMethods()`) put on it; undefined
 * for a method that serves none.
 */
export function grpcMethodOf(controller: ControllerClass, method: string): GrpcMethodRef | undefined {
  const handler = (controller.prototype as Record<string, unknown>)[method];
  if (typeof handler !== 'function') return undefined;
  const patterns = Reflect.getMetadata(PATTERN_METADATA, handler) as { service?: string; rpc?: string }[] | undefined;
  const pattern = patterns?.[0];
  if (!pattern?.service || !pattern.rpc) return undefined;
  return { service: pattern.service, method: pattern.rpc.charAt(0).toUpperCase() + pattern.rpc.slice(1) };
}

export interface PermissionDeclaration extends GrpcMethodRef {
  /** Undefined: the method declares none, so every call is refused. */
  permission: string | undefined;
}

/**
 * Every gRPC method of every controller that declared at least one
 * permission, in declaration order, with its permission (or none).
 */
export function permissionDeclarations(): PermissionDeclaration[] {
  const rows: PermissionDeclaration[] = [];
  for (const controller of declarations.keys()) {
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const ref = grpcMethodOf(controller, name);
      if (ref) rows.push({ ...ref, permission: requiredPermission(controller, name) });
    }
  }
  return rows;
}
