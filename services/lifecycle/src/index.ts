export { startLifecycle } from './bootstrap';
export type { LifecycleService, StartLifecycleOptions } from './bootstrap';
