export * from './request-context';
export * from './nats-transport';
export * from './rpc-error.filter';
export * from './service-client';
export * from './nats-service';
export * from './direct-nats';
export * from './request-body';
export * from './receives';
