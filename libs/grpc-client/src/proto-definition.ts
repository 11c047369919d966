import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
// The subpath, not the package root: the root also loads the generated Nest
// decorators (and so NestJS), which would double the CLI's start-up time.
import { PROTO_FILES, PROTO_LOADER_OPTIONS, PROTO_PACKAGE } from '@aos/contracts/proto-files';

/** The public services this library has clients for. */
export type AosServiceName =
  | 'AgentService'
  | 'AuditService'
  | 'GovernanceService'
  | 'ToolService'
  | 'TaskService'
  | 'RuntimeService'
  | 'KnowledgeService'
  | 'ContextService'
  | 'CommandService';

let cached: PackageDefinition | undefined;

/**
 * The aos.v1 protos as @grpc/proto-loader reads them with the options from
 * @aos/contracts, so the objects on the wire match the ts-proto types.
 * Parsing costs tens of milliseconds, so it happens once per process; feed the
 * result to `grpc.loadPackageDefinition()` for raw grpc-js clients or servers.
 */
export function loadPackageDefinition(): PackageDefinition {
  cached ??= loadSync(PROTO_FILES, PROTO_LOADER_OPTIONS);
  return cached;
}

/** The grpc-js definition of one aos.v1 service (for `server.addService` or raw calls). */
export function loadServiceDefinition(name: AosServiceName): ServiceDefinition {
  const definition = loadPackageDefinition()[`${PROTO_PACKAGE}.${name}`];
  if (definition === undefined || 'format' in definition) {
    throw new Error(`${PROTO_PACKAGE}.${name} is not a service in ${PROTO_FILES.join(', ')}`);
  }
  // proto-loader's ServiceDefinition is grpc-js's, declared separately by each package.
  return definition as unknown as ServiceDefinition;
}
