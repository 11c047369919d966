import type { ServiceHost } from '@aos/service-host';
import type { ResourcePart } from '../resource-part';

export interface KnowledgeOptions {
  /** Placeholder: filled by the knowledge base implementation. */
  readonly _reserved?: never;
}

/** Builds the knowledge bases' model from the log and returns their controller (not yet: an empty part). */
export async function buildKnowledge(_host: ServiceHost, _options: KnowledgeOptions = {}): Promise<ResourcePart> {
  return { controllers: [], providers: [] };
}
