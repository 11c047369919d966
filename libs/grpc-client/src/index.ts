export { createAosClient, DEFAULT_DEADLINE_MS, type AosClient, type AosClientOptions } from './aos-client';
export type { AgentsClient } from './agent-service.client';
export type { AuditClient } from './audit-service.client';
export type { GovernanceClient } from './governance-service.client';
export type { ToolsClient } from './tool-service.client';
export type { CallOptions, PartialMessage, ServerStreamMethod, UnaryMethod } from './call-invoker';
export type { ServerStream } from './server-stream';
export { AosClientError, toAosClientError, type GrpcStatusName } from './client-error';
export { loadPackageDefinition, loadServiceDefinition, type AosServiceName } from './proto-definition';
