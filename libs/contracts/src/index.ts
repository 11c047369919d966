export * from './gen/aos/v1/agent';
export * from './gen/aos/v1/audit';
export type { Timestamp } from './gen/google/protobuf/timestamp';
export type { FieldMask } from './gen/google/protobuf/field_mask';
export * from './events/agent.events';
export * from './subjects';
export * from './timestamps';
export * from './event.mapper';
export * from './proto-files';
