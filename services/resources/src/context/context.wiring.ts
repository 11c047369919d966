import type { ServiceHost } from '@aos/service-host';
import type { ResourcePart } from '../resource-part';

/** Builds the shared context's model from the log and returns its controller (not yet: an empty part). */
export async function buildContext(_host: ServiceHost): Promise<ResourcePart> {
  return { controllers: [], providers: [] };
}
