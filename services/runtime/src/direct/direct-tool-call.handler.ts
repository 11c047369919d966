import { v5 as uuidv5 } from 'uuid';
import {
  RUN_CATEGORY,
  RUN_EVENTS_SCHEMA_VERSION,
  type BodyOf,
  type DirectToolCallReply,
  type RuntimeSubjects,
  type ToolDecisionName,
  toolPriceOf,
} from '@aos/contracts';
import {
  type CommandPipeline,
  type PipelineWaits,
  type RecordedStep,
  type WriterHost,
  writerPipeline,
} from '@aos/command-pipeline';
import { AosError, NotFoundError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import { truncate } from '../run/run.recorder';
import type { GovernancePort } from '../run/runtime.ports';
import { chargeToolPrice } from '../run/usage-charge';
import { parseArguments, TOOLS_CALL_ACTION, type ToolCatalog } from '../tools/governed-tool-call';
import type { ToolExecution, ToolExecutor } from '../tools/tool-executor';
import {
  decideDirectCall,
  initialDirectCallState,
  type DirectCallCommand,
  type DirectToolCalledData,
} from './direct-tool-call.decider';
import { principalVerdict } from './direct-tool-call.policy';

/** Fixed forever: the ids of direct calls' streams and events derive from it. */
export const DIRECT_CALL_NAMESPACE = '3f6e2d8a-91b4-4c0e-8a7d-5b2c1e9f4a60';
/** Direct calls' streams are `run-direct_<32 hex>`: never `<taskId>-<attempt>`, so no task's. */
export const DIRECT_STREAM_PREFIX = 'direct_';
/** What a direct call's event keeps of the tool's result: the reply to a retry is built from it. */
export const MAX_DIRECT_RESULT = 64 * 1024;

export type DirectToolCallBody = BodyOf<typeof RuntimeSubjects.callTool>;

const DEFAULT_WAITS: PipelineWaits = { readMs: 5_000, writeMs: 4_000, catchUpMs: 2_000 };

/** The stream id of the direct call with this request id in the tenant. */
export function directStreamId(tenantId: string, requestId: string): string {
  return `${DIRECT_STREAM_PREFIX}${uuidv5(`${tenantId}/${requestId}`, DIRECT_CALL_NAMESPACE).replaceAll('-', '')}`;
}

export interface DirectToolCallDeps extends WriterHost {
  catalog: Pick<ToolCatalog, 'toolByName'>;
  governance: GovernancePort;
  executor: ToolExecutor;
  waits?: Partial<PipelineWaits>;
  now?: () => number;
}

/**
 * RuntimeSubjects.callTool: a principal (a person or an app, through the
 * gateway's MCP endpoint) calls a registered tool outside any task. The
 * decision is governance's for the caller's grant subjects (see
 * principalVerdict), the execution the runtime's executor's, and the call is
 * recorded as DirectToolCalled in `run-direct_<id>` (id from the tenant and
 * the request_id), refusals included. The request_id makes it idempotent:
 * a retry after the record is answered from it without calling the tool
 * again. (Two instances taking the same request at once may both call the
 * tool; one record wins and both answer with it.) An unknown tool is
 * NOT_FOUND and records nothing. A priced tool's call is charged to the
 * tenant's budget (and the caller's, were the caller an agent) BEFORE it is
 * made, in one step with the budget's check (chargeToolPrice, as for runs),
 * once per request_id (UsageCharged beside DirectToolCalled); while such a
 * budget is used up the charge is refused and the call is RESOURCE_EXHAUSTED,
 * not made, and records nothing.
 */
export class DirectToolCalls {
  /** The bootstrap feeds `pipeline.requests` with the direct calls' events (run-direct_* only). */
  readonly pipeline: CommandPipeline;

  constructor(private readonly deps: DirectToolCallDeps) {
    this.pipeline = writerPipeline(deps, {
      model: 'runtime',
      schemaVersion: RUN_EVENTS_SCHEMA_VERSION,
      eventNamespace: DIRECT_CALL_NAMESPACE,
      categories: [RUN_CATEGORY],
      waits: { ...DEFAULT_WAITS, ...deps.waits },
    });
  }

  call(ctx: RequestContext, body: DirectToolCallBody): Promise<DirectToolCallReply> {
    const { tenantId } = ctx;
    const streamId = directStreamId(tenantId, body.requestId);
    return this.pipeline.handleRequest(
      ctx,
      {
        requestId: body.requestId,
        replays: ['DirectToolCalled', 'UsageCharged'],
        sameTarget: (steps) => steps.every((s) => s.streamId === streamId),
        reply: ({ recorded: steps }) => replyOf(steps),
      },
      async (tx) => {
        const command = await this.decideAndRun(ctx, body, streamId);
        await tx.commit({
          stream: { category: RUN_CATEGORY, id: streamId },
          creates: true,
          // The stream is this request's alone: the pipeline answers it from the request index once recorded.
          load: () => undefined,
          initial: initialDirectCallState,
          decide: (state) => decideDirectCall(command, state),
        });
      },
    );
  }

  private async decideAndRun(
    ctx: RequestContext,
    body: DirectToolCallBody,
    streamId: string,
  ): Promise<DirectCallCommand> {
    const started = this.now();
    const tool = this.deps.catalog.toolByName(ctx.tenantId, body.toolName);
    if (!tool) throw new NotFoundError('tool', body.toolName);
    const { toolId } = tool.definition;
    const data = (
      decision: ToolDecisionName,
      decisionReason: string,
      execution: ToolExecution | undefined,
    ): DirectCallCommand => ({
      type: 'RecordDirectToolCall',
      data: {
        requestId: body.requestId,
        principal: subjectOf(ctx.actor),
        grantSubjects: body.grantSubjects,
        toolId,
        toolName: body.toolName,
        argumentsJson: truncate(body.argumentsJson),
        decision,
        decisionReason: truncate(decisionReason, 2048),
        outcome: execution?.outcome ?? 'refused',
        result: truncate(execution?.result ?? '', MAX_DIRECT_RESULT),
        error: truncate(execution ? execution.error : decisionReason),
        durationMs: Math.max(0, Math.round(this.now() - started)),
      },
    });
    if (!tool.enabled) return data('DENIED', `tool ${tool.definition.name} is disabled`, undefined);
    const answers = await Promise.all(
      body.grantSubjects.map((subject) =>
        this.deps.governance.checkAccess(ctx, subject, TOOLS_CALL_ACTION, `tools/${toolId}`),
      ),
    );
    const verdict = principalVerdict(answers);
    if (verdict.kind === 'refuse') return data('DENIED', verdict.reason, undefined);
    const args = parseArguments(body.argumentsJson);
    if (typeof args === 'string') return data('ALLOWED', verdict.reason, { outcome: 'error', result: '', error: args });
    const price = toolPriceOf(tool.definition);
    // A person's or an app's call is charged to the tenant budget; an agent's to its own too.
    const agentId = ctx.actor.kind === 'agent' ? ctx.actor.id : '';
    // Charged before the call: a call made is never free (a retry's charge counts once).
    const charge = await chargeToolPrice(this.deps.governance, ctx, {
      agentId,
      source: streamId,
      requestId: `${streamId}/usage`,
      toolName: tool.definition.name,
      priceMicros: price,
    });
    if (!charge.charged) throw new AosError('RESOURCE_EXHAUSTED', charge.refusal);
    // The executor bounds the call in time; nothing else stops it (no task to cancel).
    const execution = await this.deps.executor.execute(tool.definition, args, new AbortController().signal);
    const called = data('ALLOWED', verdict.reason, execution);
    return price === 0 ? called : { ...called, charged: { runId: streamId, tokens: 0, costMicros: price } };
  }

  private now(): number {
    return this.deps.now?.() ?? performance.now();
  }
}

/** The caller's subject: `<kind>:<id>`, or its id when that is a subject already (an OIDC caller's `oidc:<sub>`). */
function subjectOf(actor: RequestContext['actor']): string {
  return actor.id.includes(':') ? actor.id : `${actor.kind}:${actor.id}`;
}

function replyOf(steps: readonly RecordedStep[]): DirectToolCallReply {
  const step = steps.find((s) => s.type === 'DirectToolCalled')!;
  const data = step.data as DirectToolCalledData;
  return {
    decision: data.decision,
    decisionReason: data.decisionReason,
    result: data.outcome === 'ok' ? data.result : '',
    error: data.error,
    logPosition: step.position,
  };
}
