import { AGENT_CATEGORY, QueueGroups } from '@aos/contracts';
import type { AosConfig } from '@aos/config';
import { startService, type RunningService, type StartServiceOptions } from '@aos/service-host';
import { AgentHandler } from './agent/agent.handler';
import { AgentProjection } from './agent/agent.projection';
import { LifecycleModule } from './lifecycle.module';

export type LifecycleService = RunningService;
export type StartLifecycleOptions = StartServiceOptions;

/**
 * Starts the lifecycle service in this process: replays the `agent-*`
 * streams into memory, then answers AgentService's subjects on NATS.
 */
export function startLifecycle(config: AosConfig, options: StartLifecycleOptions = {}): Promise<LifecycleService> {
  return startService(
    config,
    {
      name: 'lifecycle',
      queue: QueueGroups.lifecycle,
      async build(host) {
        const projection = new AgentProjection();
        const handler = new AgentHandler({
          store: host.store,
          projection,
          follower: host.follower,
          isFollowing: host.isFollowing,
          names: await host.nameLedger(),
        });
        host.follow('agent', { category: AGENT_CATEGORY }, (e) => {
          projection.apply(e);
          handler.pipeline.requests.apply(e);
        });
        await host.caughtUp(() => `${projection.eventsApplied} agent events`);
        return { module: LifecycleModule.forRoot(handler) };
      },
    },
    options,
  );
}
