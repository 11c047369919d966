// The domain's published language (events, schemas, folds) is re-exported for
// the services' convenience; deciders import @aos/domain itself.
export * from '@aos/domain';
export * from './gen/aos/v1/agent';
export * from './gen/aos/v1/audit';
export type { Timestamp } from './gen/google/protobuf/timestamp';
export type { FieldMask } from './gen/google/protobuf/field_mask';
export * from './subjects';
export * from './timestamps';
export * from './event.mapper';
export * from './proto-files';
export * from './gen/aos/v1/governance';
export * from './gen/aos/v1/tool';
export * from './gen/aos/v1/task';
export * from './gen/aos/v1/runtime';
export * from './gen/aos/v1/knowledge';
export * from './gen/aos/v1/context';
export * from './gen/aos/v1/command';
export * from './run-protocol';
export * from './governance-protocol';
export * from './runtime-session';
export * from './session-liveness';
export * from './direct-tool-call';
export * from './task-step.mapper';
export * from './context-entry.mapper';
