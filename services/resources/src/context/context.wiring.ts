import { followerOf } from '@aos/command-pipeline';
import { CONTEXT_CATEGORY } from '@aos/contracts';
import type { ServiceHost } from '@aos/service-host';
import type { ResourceAccess } from '../resource-access';
import type { ResourcePart } from '../resource-part';
import { ContextController } from './context.controller';
import { ContextHandler, requestFacts } from './context.handler';
import { ContextProjection } from './context.projection';

/**
 * Builds shared context's model from the `ctx-*` streams and returns its
 * controller; a list asks `access` (the service's one access model) which
 * entries the caller may read. Its commands wait for its own subscription
 * only: a context write is not held up by the knowledge or tool models catching up.
 */
export async function buildContext(host: ServiceHost, access: ResourceAccess): Promise<ResourcePart> {
  const projection = new ContextProjection();
  const handler = new ContextHandler({
    store: host.store,
    projection,
    access,
    follower: followerOf({ waitFor: (...args) => subscription.waitFor(...args) }),
    isFollowing: host.isFollowing,
  });
  const subscription = host.follow('context', { category: CONTEXT_CATEGORY }, (e) => {
    projection.apply(e);
    handler.pipeline.requests.apply(requestFacts(e));
  });
  return { controllers: [ContextController], providers: [{ provide: ContextHandler, useValue: handler }] };
}
