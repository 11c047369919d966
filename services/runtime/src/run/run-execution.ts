import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { AosError, describeError } from '@aos/errors';
import { costMicrosOf, type ModelPrices } from '@aos/config';
import type { CommandPipeline } from '@aos/command-pipeline';
import type { RequestContext } from '@aos/messaging';
import { activeTraceparent, failSpan, inSpan, SpanKind } from '@aos/telemetry';
import type { AgentView, TaskView, ToolView } from '../model/views';
import { builtinFunctionTools, isBuiltinTool } from '../tools/builtin/builtin-tools';
import { teamsOf } from '../tools/builtin/builtin-grant';
import type { GovernedToolCall, ToolCallRun } from '../tools/governed-tool-call';
import { ModelCallError, type ModelClient } from './model-client';
import { RunRecorder, truncate } from './run.recorder';
import { runtimeTracer } from './runtime.tracer';
import type { GovernancePort, RunProtocolPort } from './runtime.ports';
import { chargeRun, exhaustedReason } from './usage-charge';

/** An attempt this runner holds: routing appended TaskStarted for it. */
export interface HeldAttempt {
  tenantId: string;
  task: TaskView;
  agent: AgentView;
  runId: string;
  attempt: number;
  previousRunId: string;
  runner: string;
  /** The request that submitted the task, for the events' correlation id. */
  correlationId: string;
}

/** Why a run stops before its end: carried by the run's AbortSignal. */
export class RunStopRequested extends Error {
  override name = 'RunStopRequested';
}

/** The runner is shutting down (or its session closing) while it still holds the attempt: it gives it back. */
export class RunnerShuttingDown extends RunStopRequested {
  override name = 'RunnerShuttingDown';
}

export interface RunExecutionDeps {
  /** The run streams' command pipeline (runPipeline). */
  runs: CommandPipeline;
  governance: GovernancePort;
  protocol: RunProtocolPort;
  governedToolCall: GovernedToolCall;
  /** Where the agent's tools are found (the runtime's model of the log). */
  tools: { tool(tenantId: string, toolId: string): ToolView | undefined };
  /** Undefined when no model server is configured (AOS_OPENAI_BASE_URL unset). */
  modelClient: ModelClient | undefined;
  defaultModel: string;
  /** AOS_MODEL_PRICES: what tokens cost; an unpriced model's calls are charged tokens only. */
  prices: ModelPrices;
  maxTurns: number;
  log: (message: string) => void;
}

/** How an attempt ends. */
export type Ending = { outcome: 'SUCCEEDED'; result: string } | { outcome: 'FAILED'; code: string; reason: string };

export const NO_MODEL_SERVER_REASON =
  'no model server is configured for the runtime: set AOS_OPENAI_BASE_URL (and AOS_OPENAI_API_KEY, AOS_MODEL) to an OpenAI-compatible server';

/**
 * One attempt of a task through the model loop: model call, record, charge
 * the usage, run the tool calls it asks for under governance, until it
 * answers, fails, runs out of turns or budget, or is told to stop. Every
 * step is a run-* event, the outcome too: routing derives the task's end
 * from it.
 */
export function executeRun(held: HeldAttempt, signal: AbortSignal, deps: RunExecutionDeps): Promise<void> {
  const { tenantId, agent, runId } = held;
  const model = agent.definition.model || deps.defaultModel;
  // One trace per attempt: its model calls, tool calls and appends are its children.
  return inSpan(
    runtimeTracer,
    `invoke_agent ${agent.definition.name}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.provider.name': 'openai',
        'gen_ai.agent.id': agent.agentId,
        'gen_ai.agent.name': agent.definition.name,
        'gen_ai.request.model': model,
        'aos.tenant.id': tenantId,
        'aos.task.id': held.task.taskId,
        'aos.run.id': runId,
        'aos.run.attempt': held.attempt,
      },
    },
    async (span) => {
      const ctx: RequestContext = {
        tenantId,
        actor: { kind: 'service', id: 'runtime' },
        correlationId: held.correlationId,
        ...traceparentOfActiveSpan(),
      };
      const recorder = await startRecording(held, deps.runs, deps.modelClient ? model : '', deps.log);
      if (!recorder) return;
      let ending: Ending;
      try {
        ending = await loop(held, ctx, recorder, model, signal, deps);
      } catch (err) {
        if (signal.aborted) {
          const reason = await recordStopped(held, ctx, recorder, signal, deps);
          deps.log(`run ${runId} stopped: ${reason}`);
          span.setAttribute('aos.run.outcome', 'STOPPED');
          return;
        }
        const code = err instanceof AosError ? err.code : 'INTERNAL';
        ending = { outcome: 'FAILED', code, reason: `the run failed: ${describeError(err)}` };
      }
      span.setAttribute('aos.run.outcome', ending.outcome);
      if (ending.outcome === 'FAILED') failSpan(span, ending.reason, ending.code);
      await finish(held, recorder, ending, deps.log);
    },
  );
}

/** The active span's traceparent as a request context field: the run's events then name its trace. */
function traceparentOfActiveSpan(): { traceparent?: string } {
  const traceparent = activeTraceparent();
  return traceparent ? { traceparent } : {};
}

async function loop(
  held: HeldAttempt,
  ctx: RequestContext,
  recorder: RunRecorder,
  model: string,
  signal: AbortSignal,
  deps: RunExecutionDeps,
): Promise<Ending> {
  const { tenantId, task, agent, runId } = held;
  if (!deps.modelClient) return { outcome: 'FAILED', code: 'FAILED_PRECONDITION', reason: NO_MODEL_SERVER_REASON };
  const messages: ChatCompletionMessageParam[] = [];
  if (agent.definition.instructions) messages.push({ role: 'system', content: agent.definition.instructions });
  messages.push({ role: 'user', content: task.text });
  const tools = functionTools(agent, (id) => deps.tools.tool(tenantId, id));

  // Asked once; after each call the charge's reply says which budgets it used up.
  let exhausted = await deps.governance.exhaustedBudgets(ctx, agent.agentId);
  for (let turn = 1; turn <= deps.maxTurns; turn++) {
    signal.throwIfAborted();
    if (exhausted.length > 0) {
      return {
        outcome: 'FAILED',
        code: 'RESOURCE_EXHAUSTED',
        reason: `${exhaustedReason(exhausted)}; the model was not called`,
      };
    }
    let reply;
    try {
      reply = await deps.modelClient.complete({ model, messages, tools }, signal);
    } catch (err) {
      if (err instanceof ModelCallError) return { outcome: 'FAILED', code: err.code, reason: err.message };
      throw err;
    }
    const { completion } = reply;
    const choice = completion.choices?.[0];
    if (!choice) return { outcome: 'FAILED', code: 'INTERNAL', reason: 'the model server answered without a choice' };
    const toolCalls = (choice.message.tool_calls ?? []).flatMap((call) =>
      call.type === 'function'
        ? [
            {
              id: call.id,
              key: modelCallKey(turn, call.id),
              name: call.function.name,
              arguments: call.function.arguments,
            },
          ]
        : [],
    );
    const usage = completion.usage;
    const totalTokens = usage?.total_tokens ?? (usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0);
    const content = choice.message.content ?? '';
    await recorder.record({
      type: 'RecordModelCall',
      data: {
        runId,
        turn,
        model: completion.model || model,
        promptTokens: usage?.prompt_tokens ?? 0,
        completionTokens: usage?.completion_tokens ?? 0,
        totalTokens,
        finishReason: choice.finish_reason ?? '',
        decision: toolCalls.length > 0 ? 'tool_calls' : 'answer',
        toolCalls: toolCalls.map((c) => ({ callId: c.key, name: c.name })),
        content: toolCalls.length > 0 ? '' : truncate(content),
        durationMs: Math.round(reply.durationMs),
        retries: reply.retries,
      },
    });
    const costMicros = costOf(
      deps,
      [completion.model, model],
      usage?.prompt_tokens ?? 0,
      usage?.completion_tokens ?? 0,
    );
    const charged = await chargeRun(deps.governance, ctx, recorder, {
      agentId: agent.agentId,
      runId,
      requestId: `${runId}/usage/${turn}`,
      tokens: totalTokens,
      costMicros,
    });
    if (!charged.charged) return { outcome: 'FAILED', code: 'RESOURCE_EXHAUSTED', reason: charged.refusal };
    exhausted = charged.exhausted;
    if (toolCalls.length === 0) return { outcome: 'SUCCEEDED', result: content };

    messages.push({
      role: 'assistant',
      content: choice.message.content ?? null,
      tool_calls: toolCalls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      })),
    });
    for (const call of toolCalls) {
      signal.throwIfAborted();
      const outcome = await deps.governedToolCall.call(toolCallRunOf(held, ctx, recorder, signal), {
        callId: call.key,
        toolName: call.name,
        argumentsJson: call.arguments,
      });
      if (outcome.endRun) return { outcome: 'FAILED', ...outcome.endRun };
      // A priced tool's charge may use a budget up: the next model call is then not made.
      exhausted = [...new Set([...exhausted, ...(outcome.exhausted ?? [])])];
      messages.push({ role: 'tool', tool_call_id: call.id, content: outcome.content });
    }
  }
  return {
    outcome: 'FAILED',
    code: 'DEADLINE_EXCEEDED',
    reason: `the model did not answer within ${deps.maxTurns} model calls (AOS_RUN_MAX_TURNS)`,
  };
}

/**
 * The runtime's key of a tool call the model asked for: the turn and the
 * model's id (`2:call_abc`). OpenAI-compatible servers may repeat ids across
 * turns; the run's call ids must not repeat (a repeated one is refused), so
 * the model's id alone is not the key. The model is answered with its own id.
 */
export function modelCallKey(turn: number, modelCallId: string): string {
  return `${turn}:${modelCallId}`;
}

/** Models already reported as unpriced, so the warning comes once per model and process. */
const unpriced = new Set<string>();

/** A model call's cost in micro-units by AOS_MODEL_PRICES; 0, with a warning once, for a model it does not price. */
function costOf(deps: RunExecutionDeps, models: string[], promptTokens: number, completionTokens: number): number {
  const cost = costMicrosOf(deps.prices, models.filter(Boolean), promptTokens, completionTokens);
  if (cost !== undefined) return cost;
  const model = models.find(Boolean) ?? '';
  if (deps.prices.size > 0 && !unpriced.has(model)) {
    unpriced.add(model);
    deps.log(`model ${model} has no price in AOS_MODEL_PRICES (and no "*"): its calls count against token limits only`);
  }
  return 0;
}

/**
 * The attempt's run-* recorder (acting as its agent) once RunStarted is
 * recorded with `model` ('' when AgentOS does not know it); undefined when
 * not even that could be recorded: the attempt is then left to its lease and
 * the next one retries. Shared with external sessions.
 */
export async function startRecording(
  held: HeldAttempt,
  runs: CommandPipeline,
  model: string,
  log: (message: string) => void,
): Promise<RunRecorder | undefined> {
  const { runId, agent } = held;
  const recorder = new RunRecorder({
    pipeline: runs,
    ctx: {
      tenantId: held.tenantId,
      actor: { kind: 'agent', id: agent.agentId },
      correlationId: held.correlationId,
      ...traceparentOfActiveSpan(),
    },
    runId,
  });
  try {
    await recorder.record({
      type: 'StartRun',
      data: {
        runId,
        taskId: held.task.taskId,
        attempt: held.attempt,
        agentId: agent.agentId,
        definitionVersion: agent.definitionVersion,
        model,
        runner: held.runner,
        previousRunId: held.previousRunId,
      },
    });
    return recorder;
  } catch (err) {
    log(`run ${runId}: cannot record its start: ${describeError(err)}`);
    return undefined;
  }
}

/**
 * Records RunStopped with the abort's reason. When this runner is shutting
 * down (RunnerShuttingDown) it still holds the attempt, so it gives it back to
 * routing (releaseRun): the next attempt starts now rather than when the lease
 * runs out, which stays the fallback if routing cannot be told. Shared with
 * external sessions.
 */
export async function recordStopped(
  held: HeldAttempt,
  ctx: RequestContext,
  recorder: RunRecorder,
  signal: AbortSignal,
  deps: { protocol: RunProtocolPort; log: (message: string) => void },
): Promise<string> {
  const { runId } = held;
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
  await recorder
    .record({ type: 'Stop', data: { runId, reason } })
    .catch((e: unknown) => deps.log(`run ${runId}: could not record RunStopped: ${describeError(e)}`));
  if (signal.reason instanceof RunnerShuttingDown) {
    await deps.protocol
      .releaseRun(ctx, { taskId: held.task.taskId, runId, runner: held.runner, reason, requestId: `${runId}/release` })
      .catch((e: unknown) =>
        deps.log(`run ${runId}: could not release it (${describeError(e)}); it is retried once its lease runs out`),
      );
  }
  return reason;
}

/**
 * Records the attempt's end (RunSucceeded/RunFailed): routing derives the
 * task's SUCCEEDED or FAILED from it. Shared with external sessions.
 */
export async function finish(
  held: HeldAttempt,
  recorder: RunRecorder,
  ending: Ending,
  log: (message: string) => void,
): Promise<void> {
  const { runId } = held;
  try {
    if (ending.outcome === 'SUCCEEDED') {
      await recorder.record({ type: 'Succeed', data: { runId, result: truncate(ending.result) } });
    } else {
      await recorder.record({
        type: 'Fail',
        data: { runId, code: ending.code, reason: truncate(ending.reason, 2048) },
      });
    }
  } catch (err) {
    // The log is away: the attempt's lease decides what happens next (another attempt).
    log(`run ${runId}: could not record its end (${ending.outcome}): ${describeError(err)}`);
  }
}

/**
 * What a governed tool call of the attempt needs to know: the agent's grant
 * (its tools, knowledge bases, teams) and its task's correlation (its
 * context scope). Shared with external sessions.
 */
export function toolCallRunOf(
  held: HeldAttempt,
  ctx: RequestContext,
  recorder: RunRecorder,
  signal: AbortSignal,
): ToolCallRun {
  const { definition } = held.agent;
  return {
    ctx,
    tenantId: held.tenantId,
    taskId: held.task.taskId,
    runId: held.runId,
    agentId: held.agent.agentId,
    toolIds: definition.toolIds,
    knowledgeBaseIds: definition.knowledgeBaseIds,
    teams: teamsOf(definition.labels),
    taskCorrelationId: held.correlationId,
    recorder,
    signal,
  };
}

/**
 * The agent's enabled tools as the model's function tools, then the built-in
 * ones (knowledge_search with knowledge bases; context_get, context_put). A
 * registered tool named like a built-in one is left out: the built-in wins.
 */
export function functionTools(agent: AgentView, tool: (toolId: string) => ToolView | undefined): ChatCompletionTool[] {
  const registered = agent.definition.toolIds.flatMap((id) => {
    const view = tool(id);
    if (!view || !view.enabled || isBuiltinTool(view.definition.name)) return [];
    const { name, description, inputSchemaJson } = view.definition;
    let parameters: Record<string, unknown>;
    try {
      parameters = JSON.parse(inputSchemaJson) as Record<string, unknown>;
    } catch {
      parameters = { type: 'object' };
    }
    return [{ type: 'function' as const, function: { name, description, parameters } }];
  });
  return [...registered, ...builtinFunctionTools(agent.definition)];
}
