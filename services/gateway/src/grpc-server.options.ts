import { join } from 'node:path';
import type { Server } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { PROTO_FILES, PROTO_LOADER_OPTIONS, PROTO_PACKAGE, PROTO_ROOT } from '@aos/contracts';
import { linkableDescriptors } from './reflection-descriptors';

const PROTO_PATHS = PROTO_FILES.map((f) => join(PROTO_ROOT, f));

/**
 * Options of the Nest gRPC server. Nest calls onLoadPackageDefinition after it
 * has bound the port and before it adds the controllers' services, with the
 * grpc-js Server: the place to add the services that are not Nest controllers.
 */
export function grpcServerOptions(address: string, health: HealthImplementation): GrpcOptions {
  return {
    transport: Transport.GRPC,
    options: {
      url: address,
      // A request travels on over NATS, whose messages are at most 1 MiB: a
      // larger one is refused here (RESOURCE_EXHAUSTED) rather than failing later.
      maxReceiveMessageLength: 1024 * 1024 - 64 * 1024,
      package: PROTO_PACKAGE,
      protoPath: PROTO_PATHS,
      loader: PROTO_LOADER_OPTIONS,
      onLoadPackageDefinition: (_pkg: PackageDefinition, server: Pick<Server, 'addService'>) => {
        // ReflectionService reads only each definition's fileDescriptorProtos.
        new ReflectionService(servedDescriptors() as unknown as PackageDefinition).addToServer(server);
        health.addToServer(server);
      },
    },
  };
}

/**
 * The served package definitions reduced to what their readers use: each
 * name's file descriptors, and `format` for a message or enum type. Server
 * reflection reads only `fileDescriptorProtos` from a PackageDefinition; the
 * rest (every method's serializers) would keep a second parse of the protos
 * alive in the gateway for nothing.
 */
export type ServedDescriptors = Readonly<
  Record<string, { readonly fileDescriptorProtos: Buffer[]; readonly format?: string }>
>;

let served: ServedDescriptors | undefined;

/**
 * What the server answers, as protoc would describe it: aos.v1 and
 * grpc.health.v1, keeping the field names of the .proto files (`tenant_id`,
 * not `tenantId`). Loaded apart from the definition Nest serves with; built
 * once per process (about 70 ms) and shared by server reflection, so that
 * `grpcurl list` shows everything, and by the console's browser bridge.
 */
export function servedDescriptors(): ServedDescriptors {
  if (served) return served;
  const options = { ...PROTO_LOADER_OPTIONS, keepCase: true };
  const linked = linkableDescriptors({ ...loadSync(PROTO_PATHS, options), ...loadSync(healthProtoPath, options) });
  return (served = Object.fromEntries(
    Object.entries(linked).map(([name, definition]) => [
      name,
      {
        fileDescriptorProtos: (definition as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos ?? [],
        ...('format' in definition ? { format: String(definition.format) } : {}),
      },
    ]),
  ));
}

/**
 * The names grpc.health.v1 answers for: '' is the server as a whole, then
 * every aos.v1 service the server serves, read from its descriptors so that a
 * service added to the protos is health-checked without another list to edit.
 */
export function healthCheckedServices(): string[] {
  const services = Object.entries(servedDescriptors())
    // proto-loader marks message and enum types with a `format`; services have none.
    .filter(([name, definition]) => name.startsWith(`${PROTO_PACKAGE}.`) && !('format' in definition))
    .map(([name]) => name);
  return ['', ...services];
}

export function newHealthImplementation(): HealthImplementation {
  return new HealthImplementation(Object.fromEntries(healthCheckedServices().map((s) => [s, 'NOT_SERVING'])));
}
