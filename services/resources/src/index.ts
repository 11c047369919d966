export { startResources } from './bootstrap';
export type { ResourcesService, StartResourcesOptions } from './bootstrap';
