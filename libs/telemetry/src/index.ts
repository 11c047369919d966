export * from './telemetry';
export * from './trace-context';
export * from './spans';
