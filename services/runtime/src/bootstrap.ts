import 'reflect-metadata';
import { QueueGroups, RoutingSubjects, type Task } from '@aos/contracts';
import { redactUrl, requireNatsUrl, type AosConfig } from '@aos/config';
import { createEventStore, followProjection, loggedProjectionReports, type Subscription } from '@aos/event-store';
import { StderrLogger } from '@aos/launcher';
import { DirectNats, ServiceClient, serveOnNats } from '@aos/messaging';
import { ExternalSessions, sessionPingIntervalMs } from './external/external-sessions';
import { FOLLOWED_CATEGORIES, RuntimeModel } from './model/runtime.model';
import { ModelClient } from './run/model-client';
import { executeRun } from './run/run-execution';
import { NatsRuntimePorts } from './run/runtime.ports';
import { Runner, runnerId } from './runner/runner';
import { RuntimeModule } from './runtime.module';
import { GovernedToolCall } from './tools/governed-tool-call';
import { HttpAndMcpToolExecutor, type ToolExecutor } from './tools/tool-executor';

export interface RuntimeService {
  /** This instance's runner id (`<hostname>:<pid>:<random>`). */
  readonly runner: string;
  /** Stops claiming, stops its runs (RunStopped), then closes the subscriptions and the event store. Idempotent. */
  close(): Promise<void>;
}

export interface StartRuntimeOptions {
  /** Let Nest close the service on SIGTERM/SIGINT (default true). */
  shutdownHooks?: boolean;
  /** Called when a log subscription stops for good; a process of its own should exit so its supervisor restarts it. */
  onFatal?: (err: unknown) => void;
  /** How tools are executed (default: HTTP with fetch, MCP over streamable HTTP). */
  executor?: ToolExecutor;
  /** Backoff before retrying a model call (default 500 ms, doubled per retry). */
  modelBackoffMs?: number;
}

const CONTEXT = 'runtime';

/**
 * Starts a runtime instance: follows tasks, agents, tools and approvals into
 * memory, then runs the tasks it wins (see Runner) through the model loop,
 * and hosts the sessions of external agents the gateway asks it to open
 * (see ExternalSessions). Any number of instances may run side by side.
 */
export async function startRuntime(config: AosConfig, options: StartRuntimeOptions = {}): Promise<RuntimeService> {
  const logger = new StderrLogger(config.AOS_LOG_LEVEL);
  const natsUrl = requireNatsUrl(config);
  const store = await createEventStore({ kind: config.AOS_EVENT_STORE, natsUrl, esdbUrl: config.AOS_ESDB_URL });
  const subscriptions: Subscription[] = [];
  const client = new ServiceClient(natsUrl);
  let runner: Runner | undefined;
  let sessions: ExternalSessions | undefined;
  let direct: DirectNats | undefined;
  let released: Promise<void> | undefined;
  const releaseResources = () =>
    (released ??= (async () => {
      // The agents' streams end with UNAVAILABLE: their processes reconnect to another instance.
      await sessions?.close('the runtime instance is shutting down');
      await direct?.close();
      await runner?.close();
      await Promise.all(subscriptions.map((s) => s.close()));
      await client.close();
      await store.close();
      logger.log('stopped the runner, closed the subscriptions and the event store', CONTEXT);
    })());

  try {
    const model = new RuntimeModel();
    const started = performance.now();
    for (const category of FOLLOWED_CATEGORIES) {
      const followed = followProjection(
        store,
        { filter: { category } },
        (e) => model.apply(e),
        loggedProjectionReports(category, (message) => logger.error(message, CONTEXT), options.onFatal),
      );
      subscriptions.push(followed.subscription);
    }
    await Promise.all(subscriptions.map((s) => s.caughtUp));
    logger.log(
      `runtime model caught up: ${model.eventsApplied} events in ${Math.round(performance.now() - started)} ms`,
      CONTEXT,
    );
    await client.connect();

    const ports = new NatsRuntimePorts(client);
    const modelClient = config.AOS_OPENAI_BASE_URL
      ? new ModelClient({
          baseURL: config.AOS_OPENAI_BASE_URL,
          apiKey: config.AOS_OPENAI_API_KEY ?? '',
          timeoutMs: config.AOS_MODEL_TIMEOUT_MS,
          backoffMs: options.modelBackoffMs,
        })
      : undefined;
    if (!modelClient) {
      logger.warn('AOS_OPENAI_BASE_URL is not set: tasks of built-in agents fail with FAILED_PRECONDITION', CONTEXT);
    }
    const governedToolCall = new GovernedToolCall({
      catalog: model,
      governance: ports,
      protocol: ports,
      executor: options.executor ?? new HttpAndMcpToolExecutor(),
    });
    const log = (message: string) => logger.warn(message, CONTEXT);
    const id = runnerId();
    const theRunner = new Runner({
      runner: id,
      concurrency: config.AOS_RUNTIME_CONCURRENCY,
      runnable: () => model.runnable(),
      correlationOf: (tenantId, taskId) => model.taskCorrelationId(tenantId, taskId),
      protocol: ports,
      log,
      execute: (held, signal) =>
        executeRun(held, signal, {
          store,
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
    runner = theRunner;
    direct = await DirectNats.connect(natsUrl, `runtime ${id}`);
    const theSessions = new ExternalSessions({
      direct,
      services: client,
      store,
      protocol: ports,
      governedToolCall,
      runnable: (tenantId, agentId) => model.runnableExternally(tenantId, agentId),
      agentState: (tenantId, agentId) => model.agent(tenantId, agentId)?.status,
      correlationOf: (tenantId, taskId) => model.taskCorrelationId(tenantId, taskId),
      fetchTask: (ctx, taskId) => client.request<Task>(RoutingSubjects.get, ctx, { id: taskId, minPosition: 0 }),
      log,
      pingIntervalMs: sessionPingIntervalMs(config.AOS_RUN_LEASE_MS),
    });
    sessions = theSessions;
    model.onWorkChanged = () => {
      theRunner.scheduleScan();
      theSessions.scheduleScans();
    };

    const closeApp = await serveOnNats(RuntimeModule.forRoot({ releaseResources, sessions: theSessions }), {
      natsUrl,
      queue: QueueGroups.runtime,
      logger,
      shutdownHooks: options.shutdownHooks,
    });
    theRunner.start();
    logger.log(`runner ${id} on ${redactUrl(natsUrl)}: up to ${config.AOS_RUNTIME_CONCURRENCY} runs at once`, CONTEXT);

    let closing: Promise<void> | undefined;
    return { runner: id, close: () => (closing ??= closeApp().then(releaseResources)) };
  } catch (err) {
    await releaseResources();
    throw err;
  }
}
