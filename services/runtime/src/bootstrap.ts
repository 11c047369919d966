import { QueueGroups, RoutingSubjects, RUN_CATEGORY } from '@aos/contracts';
import { redactUrl, type AosConfig } from '@aos/config';
import { DirectNats, ServiceClient } from '@aos/messaging';
import { startService, type RunningService, type StartServiceOptions } from '@aos/service-host';
import { DIRECT_STREAM_PREFIX, DirectToolCalls } from './direct/direct-tool-call.handler';
import { ExternalSessions, sessionPingIntervalMs } from './external/external-sessions';
import type { RequestIndexState } from '@aos/command-pipeline';
import type { RecordedEvent } from '@aos/event-store';
import { FOLLOWED_CATEGORIES, RuntimeModel, type RuntimeModelState } from './model/runtime.model';
import { ModelClient } from './run/model-client';
import { executeRun } from './run/run-execution';
import { runPipeline } from './run/run.recorder';
import { NatsRuntimePorts } from './run/runtime.ports';
import { Runner, runnerId } from './runner/runner';
import { RuntimeModule } from './runtime.module';
import { BuiltinToolCalls } from './tools/builtin/builtin-tool-call';
import { GovernedToolCall } from './tools/governed-tool-call';
import { countRunEvents } from './run/run.metrics';
import { HttpAndMcpToolExecutor, type ToolExecutor } from './tools/tool-executor';

export interface RuntimeService extends RunningService {
  /** This instance's runner id (`<hostname>:<pid>:<random>`). */
  readonly runner: string;
}

export interface StartRuntimeOptions extends StartServiceOptions {
  /** How tools are executed (default: HTTP with fetch, MCP over streamable HTTP). */
  executor?: ToolExecutor;
  /** Backoff before retrying a model call (default 500 ms, doubled per retry). */
  modelBackoffMs?: number;
}

const CONTEXT = 'runtime';
/** Raise it with any change to what RuntimeModel keeps or how it applies an event: older snapshots are then rebuilt. */
const RUNTIME_SNAPSHOT_VERSION = 1;

/**
 * Starts a runtime instance: follows tasks (with their runs), agents, tools
 * and approvals into memory, then runs the tasks it wins (see Runner) through
 * the model loop, and hosts the sessions of external agents the gateway asks
 * it to open (see ExternalSessions). Any number of instances may run side by side.
 */
export function startRuntime(config: AosConfig, options: StartRuntimeOptions = {}): Promise<RuntimeService> {
  return startService<{ runner: string }>(
    config,
    {
      name: CONTEXT,
      queue: QueueGroups.runtime,
      async build(host) {
        const { logger, store, natsUrl } = host;
        host.onAppended(countRunEvents);
        const model = new RuntimeModel();
        const client = new ServiceClient(natsUrl);
        const ports = new NatsRuntimePorts(client);
        const executor = options.executor ?? new HttpAndMcpToolExecutor();
        const directCalls = new DirectToolCalls({ ...host, catalog: model, governance: ports, executor });
        const isDirectCall = (e: RecordedEvent) =>
          e.category === RUN_CATEGORY && e.streamId.startsWith(DIRECT_STREAM_PREFIX);
        await host.followGroupWithSnapshots(
          'model',
          FOLLOWED_CATEGORIES.map((category) => ({
            name: category,
            filter: { category },
            apply: (e: RecordedEvent) => {
              model.apply(e);
              // Only the direct calls' streams are requests of this writer; a run's are its runner's.
              if (isDirectCall(e)) directCalls.pipeline.requests.apply(e);
            },
          })),
          {
            version: RUNTIME_SNAPSHOT_VERSION,
            capture: () => ({ model: model.capture(), directCalls: directCalls.pipeline.requests.capture() }),
            restore: (state) => {
              const { model: modelState, directCalls: requests } = state as {
                model: RuntimeModelState;
                directCalls: RequestIndexState;
              };
              model.restore(modelState);
              directCalls.pipeline.requests.restore(requests);
            },
          },
        );
        await host.caughtUp(() => `${model.eventsApplied} task, run, agent, tool and approval events`);

        host.onClose(() => client.close());
        await client.connect();
        const modelClient = config.AOS_OPENAI_BASE_URL
          ? new ModelClient({
              baseURL: config.AOS_OPENAI_BASE_URL,
              apiKey: config.AOS_OPENAI_API_KEY ?? '',
              timeoutMs: config.AOS_MODEL_TIMEOUT_MS,
              backoffMs: options.modelBackoffMs,
            })
          : undefined;
        if (!modelClient) {
          logger.warn(
            'AOS_OPENAI_BASE_URL is not set: tasks of built-in agents fail with FAILED_PRECONDITION',
            CONTEXT,
          );
        }
        const runs = runPipeline(store);
        const governedToolCall = new GovernedToolCall({
          catalog: model,
          governance: ports,
          executor,
          builtins: new BuiltinToolCalls({ governance: ports, resources: ports, catalog: model }),
        });
        const log = (message: string) => logger.warn(message, CONTEXT);
        const id = runnerId();
        const runner = new Runner({
          runner: id,
          concurrency: config.AOS_RUNTIME_CONCURRENCY,
          runnable: () => model.runnable(),
          correlationOf: (tenantId, taskId) => model.taskCorrelationId(tenantId, taskId),
          protocol: ports,
          log,
          execute: (held, signal) =>
            executeRun(held, signal, {
              runs,
              governance: ports,
              protocol: ports,
              governedToolCall,
              tools: model,
              modelClient,
              defaultModel: config.AOS_MODEL,
              prices: config.AOS_MODEL_PRICES,
              maxTurns: config.AOS_RUN_MAX_TURNS,
              log,
            }),
        });
        host.onClose(() => runner.close());
        const direct = await DirectNats.connect(natsUrl, `runtime ${id}`);
        host.onClose(() => direct.close());
        const sessions = new ExternalSessions({
          direct,
          services: client,
          runs,
          protocol: ports,
          governedToolCall,
          runnable: (tenantId, agentId) => model.runnableExternally(tenantId, agentId),
          agentState: (tenantId, agentId) => model.agent(tenantId, agentId)?.status,
          correlationOf: (tenantId, taskId) => model.taskCorrelationId(tenantId, taskId),
          fetchTask: (ctx, taskId) => client.request(RoutingSubjects.get, ctx, { id: taskId, minPosition: 0 }),
          log,
          pingIntervalMs: sessionPingIntervalMs(config.AOS_RUN_LEASE_MS),
        });
        // The agents' streams end with UNAVAILABLE: their processes reconnect to another instance.
        host.onClose(() => sessions.close('the runtime instance is shutting down'));
        model.onWorkChanged = () => {
          runner.scheduleScan();
          sessions.scheduleScans();
        };
        return {
          module: RuntimeModule.forRoot(sessions, directCalls),
          afterListen: () => runner.start(),
          listening: `runner ${id} on ${redactUrl(natsUrl)}: up to ${config.AOS_RUNTIME_CONCURRENCY} runs at once`,
          handle: { runner: id },
        };
      },
    },
    options,
  );
}
