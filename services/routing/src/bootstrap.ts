import { QueueGroups } from '@aos/contracts';
import { redactUrl, usesModelRouter, type AosConfig } from '@aos/config';
import type { PipelineWaits } from '@aos/command-pipeline';
import { describeError } from '@aos/errors';
import { startService, type RunningService, type StartServiceOptions } from '@aos/service-host';
import { RoutingModule } from './routing.module';
import { RoutingModel, routingSnapshot } from './routing.model';
import { LeaseSweep } from './task/lease.sweep';
import { ModelRouting, OpenAiModelRouter } from './task/model-router';
import { RunClaims } from './task/run.claims';
import { RUN_LEASE_BUCKET, RunLeases, type AgentLeases } from './task/run.leases';
import { TaskHandler } from './task/task.handler';
import { TaskHistory } from './task/task.history';
import { TaskReactions } from './task/task.reactions';
import { TaskReconciliation } from './task/task.reconciliation';
import { TaskRouting } from './task/task.routing';
import { taskPipeline } from './task/task.streams';

export interface RoutingService extends RunningService {
  /** Resolves once no reconciliation is running (tests use it to observe a quiet state). */
  idle(): Promise<void>;
}

export interface StartRoutingOptions extends StartServiceOptions {
  waits?: Partial<PipelineWaits>;
}

/**
 * Starts the routing service in this process: replays the log (tasks, their
 * runs, and the agents they may go to) into memory, answers TaskService and
 * the run-claim protocol on NATS, and only then starts reacting — routing
 * queued tasks, re-routing the tasks of retired agents, abandoning attempts
 * whose lease ran out — so that nothing is decided against a half-built state.
 */
export function startRouting(config: AosConfig, options: StartRoutingOptions = {}): Promise<RoutingService> {
  return startService<{ idle(): Promise<void> }>(
    config,
    {
      name: 'routing',
      queue: QueueGroups.routing,
      async build(host) {
        const warn = (message: string, err: unknown) =>
          host.logger.warn(`${message}: ${describeError(err)}`, 'routing');
        const pipeline = taskPipeline({
          store: host.store,
          follower: host.follower,
          isFollowing: host.isFollowing,
          waits: options.waits,
          // A request of a task summarised since (its request forgotten) is read back from the task's stream.
          recall: (tenantId, requestId) => history.recall(tenantId, requestId),
        });
        // Tasks finished long ago are kept as summaries and their requests forgotten; TaskHistory reads them back.
        const model = new RoutingModel({
          requests: pipeline.requests,
          finishedKeptWhole: config.AOS_ROUTING_FINISHED_TASKS,
        });
        const history = new TaskHistory(host.store, model);
        // One subscription to the whole log, so that agent, task and run events are applied in the order they happened;
        // a replacement process starts from the latest snapshot of both (the routers' indexes as computed) and the log's tail.
        await host.followWithSnapshots(
          'log',
          {},
          // The model feeds the request index after itself.
          (e) => model.apply(e),
          routingSnapshot(model, pipeline.requests),
        );
        await host.caughtUp(() => `${model.eventsApplied} agent, task and run events`);
        model.refreshRouters();

        const modelRouting = usesModelRouter(config)
          ? new ModelRouting(
              new OpenAiModelRouter({
                baseURL: config.AOS_OPENAI_BASE_URL!,
                apiKey: config.AOS_OPENAI_API_KEY,
                model: config.AOS_ROUTER_MODEL ?? config.AOS_MODEL,
                timeoutMs: config.AOS_ROUTER_TIMEOUT_MS,
              }),
            )
          : undefined;
        const routing = new TaskRouting(model, modelRouting);
        const leases = new RunLeases(
          await host.registers<AgentLeases>(RUN_LEASE_BUCKET, {
            description: 'AgentOS run leases: one register per tenant and agent, shared by every routing instance',
            what: 'run leases',
          }),
          config.AOS_RUN_LEASE_MS,
          Date.now,
        );
        const tasks = new TaskHandler({ model, pipeline, routing, history });
        const claims = new RunClaims({
          model,
          pipeline,
          leases,
          defaultConcurrency: config.AOS_AGENT_MAX_CONCURRENCY,
          onError: warn,
        });
        // A lease is checked at least five times per lease time, so an attempt is
        // abandoned at most a fifth of the lease late.
        const reactions = new TaskReactions(
          model,
          new TaskReconciliation({ model, pipeline, routing, onError: warn }),
          new LeaseSweep({ model, pipeline, leases, onError: warn }),
          Math.max(50, Math.min(1_000, config.AOS_RUN_LEASE_MS / 5)),
        );
        host.onClose(() => reactions.stop());
        return {
          module: RoutingModule.forRoot(tasks, claims),
          afterListen: () => reactions.start(),
          listening:
            `leases last ${config.AOS_RUN_LEASE_MS} ms; ` +
            (modelRouting
              ? `LLM router: ${config.AOS_ROUTER_MODEL ?? config.AOS_MODEL} at ${redactUrl(config.AOS_OPENAI_BASE_URL!)}`
              : 'lexical router (no model)'),
          handle: { idle: () => reactions.idle() },
        };
      },
    },
    options,
  );
}
