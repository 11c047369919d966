// The published language between services: event types, their data schemas,
// the folds every follower of a stream shares, and the permission catalog.
// Pure TypeScript and zod: no framework, transport or store; deciders import
// only this library (and @aos/errors).
export * from './agent.events';
export * from './governance.events';
export * from './tool.events';
export * from './knowledge.events';
export * from './context.events';
export * from './plan.events';
export * from './task.events';
export * from './run.events';
export * from './task.state';
export * from './agent-health';
export * from './permissions';
export * from './built-in-roles';
export * from './name-reservation.rules';
export * from './event-family';
export * from './named-refs';
export * from './audit-log.events';
export type { RecordedEventEnvelope } from './recorded-event';
