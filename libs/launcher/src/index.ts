export * from './nats-server';
export * from './nats-cluster';
export * from './nats-supervisor';
export * from './service-process';
export * from './ready-signal';
export * from './stack';
export * from './stderr-logger';
export * from './run-service';
