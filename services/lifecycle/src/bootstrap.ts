import { AGENT_CATEGORY, QueueGroups, RUN_CATEGORY } from '@aos/contracts';
import { DirectNats } from '@aos/messaging';
import type { AosConfig } from '@aos/config';
import { startService, type RunningService, type StartServiceOptions } from '@aos/service-host';
import { AgentHandler, requestStepOf } from './agent/agent.handler';
import { AgentHealthReactions } from './agent/agent-health.reactions';
import { AgentSessionSweep, probeSessionHost } from './agent/agent-session.sweep';
import { AgentProjection } from './agent/agent.projection';
import { lifecycleSnapshots } from './lifecycle.snapshots';
import { LifecycleModule } from './lifecycle.module';

export type LifecycleService = RunningService;
export type StartLifecycleOptions = StartServiceOptions;

/**
 * Starts the lifecycle service in this process: replays the `agent-*`
 * streams into memory, and the runtime's `run-*` streams into the agents'
 * health (only their starts and ends are parsed), each from its projection
 * snapshot when the log confirms one (then only the log's tail), then answers
 * AgentService's subjects on NATS. A query's min_position waits for both
 * subscriptions (host.follower), so its health is at least that new too.
 * Once listening, the health reactions record each change of an agent's
 * health status (AgentHealthChanged) on its stream.
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
        const { requests } = handler.pipeline;
        const snapshots = lifecycleSnapshots(projection, requests);
        const agents = host.followWithSnapshots(
          'agent',
          { category: AGENT_CATEGORY },
          (e) => {
            projection.apply(e);
            requests.apply(requestStepOf(e));
          },
          snapshots.agent,
        );
        // Only read: an agent's health comes from its runs' outcomes, which the runtime writes.
        const runs = host.followWithSnapshots(
          'run',
          { category: RUN_CATEGORY },
          (e) => projection.health.apply(e),
          snapshots.run,
        );
        // Restored side by side: the two parts of the model they change are apart (see lifecycleSnapshots).
        await Promise.all([agents, runs]);
        await host.caughtUp(
          () => `${projection.eventsApplied} agent events, ${projection.health.eventsApplied} run starts and ends`,
        );
        const reactions = new AgentHealthReactions({
          projection,
          record: (ctx, command) => handler.recordHealth(ctx, command),
          log: (message) => host.logger.warn(message, 'lifecycle'),
        });
        host.onClose(() => reactions.stop());
        const direct = await DirectNats.connect(host.natsUrl, 'lifecycle session probes');
        host.onClose(() => direct.close());
        const sweep = new AgentSessionSweep({
          projection,
          probe: (sessionId) => probeSessionHost(direct, sessionId),
          record: (ctx, record) => handler.recordSession(ctx, record),
          leaseMs: host.config.AOS_RUN_LEASE_MS,
          log: (message) => host.logger.warn(message, 'lifecycle'),
        });
        host.onClose(() => sweep.stop());
        return {
          module: LifecycleModule.forRoot(handler),
          afterListen: () => {
            reactions.start();
            sweep.start();
          },
        };
      },
    },
    options,
  );
}
