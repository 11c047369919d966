export { startRouting } from './bootstrap';
export type { RoutingService, StartRoutingOptions } from './bootstrap';
