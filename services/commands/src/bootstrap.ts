import { PLAN_CATEGORY, QueueGroups } from '@aos/contracts';
import type { AosConfig } from '@aos/config';
import { ServiceClient } from '@aos/messaging';
import { startService, type RunningService, type StartServiceOptions } from '@aos/service-host';
import { CommandsModule } from './commands.module';
import { DIRECTORY_CATEGORIES, DirectoryProjection } from './directory/directory.projection';
import { PlanExecutor } from './execution/plan-executor';
import { createTextInterpreter, type TextInterpreter } from './interpret/text-interpreter';
import { PlanAccess } from './plan/plan.access';
import { PlanHandler } from './plan/plan.handler';
import { PlanProjection } from './plan/plan.projection';

export type CommandsService = RunningService;

export interface StartCommandsOptions extends StartServiceOptions {
  /** How text becomes a plan (default: createTextInterpreter(config)). */
  interpreter?: TextInterpreter;
}

/**
 * Starts the commands service in this process: replays the `plan-*` streams,
 * the names plans resolve (agents, tools, knowledge bases) and the access
 * model (principals, roles, who may do what), then answers CommandService's
 * subjects on NATS. A plan's steps go to their owners' subjects as the caller.
 */
export function startCommands(config: AosConfig, options: StartCommandsOptions = {}): Promise<CommandsService> {
  return startService(
    config,
    {
      name: 'commands',
      queue: QueueGroups.commands,
      async build(host) {
        const access = PlanAccess.follow(host, (message) => host.logger.warn(message, 'access'));
        const directory = new DirectoryProjection(access.model);
        for (const category of DIRECTORY_CATEGORIES) {
          host.follow(`directory-${category}`, { category }, (e) => directory.apply(e));
        }
        const services = new ServiceClient(host.natsUrl);
        host.onClose(() => services.close());
        await services.connect();
        const projection = new PlanProjection();
        const handler = new PlanHandler({
          store: host.store,
          follower: host.follower,
          isFollowing: host.isFollowing,
          projection,
          directory,
          access,
          interpreter: options.interpreter ?? createTextInterpreter(config),
          executor: new PlanExecutor(access, services),
        });
        host.follow('plan', { category: PLAN_CATEGORY }, (e) => {
          projection.apply(e);
          handler.pipeline.requests.apply(e);
        });
        await host.caughtUp(
          () => `${projection.eventsApplied} plan events, ${directory.eventsApplied} directory events`,
        );
        return { module: CommandsModule.forRoot(handler) };
      },
    },
    options,
  );
}
