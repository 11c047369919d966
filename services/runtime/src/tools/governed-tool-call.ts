import {
  AccessDecision,
  RuleEffect,
  type CheckAccessResponse,
  type RunEvent,
  type ToolDecisionName,
  type ToolRegistered,
} from '@aos/contracts';
import type { RequestContext } from '@aos/messaging';
import type { ApprovalView } from '../model/runtime.model';
import type { ToolView } from '../model/views';
import { truncate, type RunRecorder } from '../run/run.recorder';
import type { GovernancePort } from '../run/runtime.ports';
import type { ToolExecutor } from './tool-executor';

/** Where the governed call finds tools and learns an approval's decision: the runtime's model of the log. */
export interface ToolCatalog {
  toolByName(tenantId: string, name: string): ToolView | undefined;
  decidedApproval(tenantId: string, approvalId: string, signal: AbortSignal): Promise<ApprovalView>;
}

/** The run a tool call belongs to. */
export interface ToolCallRun {
  ctx: RequestContext;
  tenantId: string;
  taskId: string;
  runId: string;
  agentId: string;
  /** The agent's grant: the tools its definition lists. */
  toolIds: readonly string[];
  recorder: RunRecorder;
  /** Aborts when the run must stop (lease lost, task cancelled, shutdown). */
  signal: AbortSignal;
}

export interface ToolCallRequest {
  callId: string;
  toolName: string;
  /** The arguments as the model sent them: JSON text. */
  argumentsJson: string;
}

export type ToolCalledData = Extract<RunEvent, { type: 'ToolCalled' }>['data'];

/** What the call gives back to the loop. */
export interface ToolCallOutcome {
  /** The text the model (or the external agent) receives as the tool's result. */
  content: string;
  /** The ToolCalled event recorded for the call: the decision, its reason, and the result or error. */
  recorded: ToolCalledData;
  /** Set when the run must end now: a person rejected the call, or a budget is used up. */
  endRun?: { code: 'PERMISSION_DENIED' | 'RESOURCE_EXHAUSTED'; reason: string };
}

export const TOOLS_CALL_ACTION = 'tools.call';
/** An approval asked for by the runtime stays open this long (governance's default). */
export const APPROVAL_TTL_SECONDS = 3600;

export type Verdict =
  | { kind: 'refuse'; decision: 'DENIED'; reason: string; toolId: string }
  | { kind: 'run'; decision: 'ALLOWED'; reason: string; tool: ToolRegistered }
  | { kind: 'approval'; reason: string; tool: ToolRegistered }
  | { kind: 'exhausted'; reason: string; tool: ToolRegistered };

/** Records the call's ToolCalled event with governance's decision and the outcome. */
type RecordToolCall = (
  toolId: string,
  decision: ToolDecisionName,
  decisionReason: string,
  outcome: 'ok' | 'error' | 'refused',
  result: string,
  error: string,
) => Promise<ToolCalledData>;

/**
 * One tool call under governance, recorded: the only way the runtime (and
 * later an attached external agent) calls a tool.
 *
 * How the agent's grant and the policy combine:
 *  - the grant is the agent's tool_ids: a tool not listed there, unknown to
 *    the tenant, or disabled is refused without asking governance;
 *  - for a granted tool governance's CheckAccess(agent:<id>, tools.call,
 *    tools/<toolId>) decides further: a DENY rule refuses; a rule that
 *    requires approval makes the call wait for a person; an ALLOW rule, or no
 *    rule at all, lets it run (no rule means DENIED with no matched rule:
 *    the grant is enough then); a used-up budget ends the run.
 * A refusal is recorded (ToolCalled, outcome refused) and returned to the
 * model as the tool's result, so the loop goes on; a rejected or expired
 * approval ends the run (PERMISSION_DENIED).
 */
export class GovernedToolCall {
  constructor(
    private readonly deps: {
      catalog: ToolCatalog;
      governance: GovernancePort;
      executor: ToolExecutor;
      now?: () => number;
    },
  ) {}

  async call(run: ToolCallRun, request: ToolCallRequest): Promise<ToolCallOutcome> {
    const started = this.now();
    const verdict = await this.decide(run, request);
    const base = {
      runId: run.runId,
      callId: request.callId,
      toolName: request.toolName,
      argumentsJson: truncate(request.argumentsJson),
    };
    const record: RecordToolCall = async (toolId, decision, decisionReason, outcome, result, error) => {
      const data: ToolCalledData = {
        ...base,
        toolId,
        decision,
        decisionReason: truncate(decisionReason, 2048),
        outcome,
        result: truncate(result),
        error: truncate(error),
        durationMs: Math.max(0, Math.round(this.now() - started)),
      };
      await run.recorder.record({ type: 'RecordToolCall', data });
      return data;
    };

    switch (verdict.kind) {
      case 'refuse': {
        const recorded = await record(verdict.toolId, 'DENIED', verdict.reason, 'refused', '', verdict.reason);
        return { content: `Tool call refused by governance: ${verdict.reason}`, recorded };
      }
      case 'exhausted': {
        const recorded = await record(verdict.tool.toolId, 'DENIED', verdict.reason, 'refused', '', verdict.reason);
        return {
          content: `Tool call refused: ${verdict.reason}`,
          recorded,
          endRun: { code: 'RESOURCE_EXHAUSTED', reason: verdict.reason },
        };
      }
      case 'run':
        return this.execute(run, request, verdict.tool, 'ALLOWED', verdict.reason, record);
      case 'approval': {
        const decided = await this.awaitApproval(run, request, verdict.tool, verdict.reason);
        if (decided.status === 'APPROVED') {
          const reason = `approved by ${decided.decidedBy}${decided.reason ? `: ${decided.reason}` : ''}`;
          return this.execute(run, request, verdict.tool, 'APPROVED', reason, record);
        }
        const why =
          decided.status === 'EXPIRED'
            ? `the approval to call tool ${verdict.tool.name} expired before anyone decided`
            : `the call of tool ${verdict.tool.name} was rejected by ${decided.decidedBy}${decided.reason ? `: ${decided.reason}` : ''}`;
        const recorded = await record(verdict.tool.toolId, 'REJECTED', why, 'refused', '', why);
        return {
          content: `Tool call refused: ${why}`,
          recorded,
          endRun: { code: 'PERMISSION_DENIED', reason: why },
        };
      }
      default:
        return verdict satisfies never;
    }
  }

  private async decide(run: ToolCallRun, request: ToolCallRequest): Promise<Verdict> {
    const tool = this.deps.catalog.toolByName(run.tenantId, request.toolName);
    const refusal = grantRefusal(request.toolName, tool, run.toolIds);
    if (refusal) return refusal;
    const access = await this.deps.governance.checkAccess(
      run.ctx,
      `agent:${run.agentId}`,
      TOOLS_CALL_ACTION,
      `tools/${tool!.definition.toolId}`,
    );
    return verdictOf(tool!.definition, access);
  }

  private async awaitApproval(
    run: ToolCallRun,
    request: ToolCallRequest,
    tool: ToolRegistered,
    why: string,
  ): Promise<ApprovalView> {
    const { governance, catalog } = this.deps;
    const approval = await governance.requestApproval(run.ctx, {
      subject: `agent:${run.agentId}`,
      action: TOOLS_CALL_ACTION,
      resource: `tools/${tool.toolId}`,
      reason: truncate(
        `task ${run.taskId} (run ${run.runId}) wants to call tool ${tool.name} with ${request.argumentsJson}; ${why}`,
        1000,
      ),
      ttlSeconds: APPROVAL_TTL_SECONDS,
      requestId: `${run.runId}/approval/${request.callId}`,
    });
    // The run's record is the one fact: routing derives the task's WAITING_APPROVAL from it.
    await run.recorder.record({
      type: 'AwaitApproval',
      data: { runId: run.runId, callId: request.callId, approvalId: approval.id, toolId: tool.toolId },
    });
    const decided = await catalog.decidedApproval(run.tenantId, approval.id, run.signal);
    const approved = decided.status === 'APPROVED';
    await run.recorder.record({
      type: 'ReceiveApproval',
      data: {
        runId: run.runId,
        approvalId: approval.id,
        approved,
        decidedBy: decided.decidedBy,
        reason: decided.reason,
      },
    });
    return decided;
  }

  private async execute(
    run: ToolCallRun,
    request: ToolCallRequest,
    tool: ToolRegistered,
    decision: 'ALLOWED' | 'APPROVED',
    reason: string,
    record: RecordToolCall,
  ): Promise<ToolCallOutcome> {
    const args = parseArguments(request.argumentsJson);
    if (typeof args === 'string') {
      const recorded = await record(tool.toolId, decision, reason, 'error', '', args);
      return { content: `Tool call failed: ${args}`, recorded };
    }
    const execution = await this.deps.executor.execute(tool, args, run.signal);
    const recorded = await record(tool.toolId, decision, reason, execution.outcome, execution.result, execution.error);
    return {
      recorded,
      content:
        execution.outcome === 'ok' ? truncate(execution.result, 64 * 1024) : `Tool call failed: ${execution.error}`,
    };
  }

  private now(): number {
    return this.deps.now?.() ?? performance.now();
  }
}

/** The arguments as an object, or what is wrong with them. */
function parseArguments(json: string): Record<string, unknown> | string {
  if (json.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(json);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    return 'the arguments are not a JSON object';
  } catch {
    return 'the arguments are not valid JSON';
  }
}

/** The refusal when the agent's grant does not cover the call: unknown tool, not among its tool_ids, disabled. */
export function grantRefusal(
  toolName: string,
  tool: ToolView | undefined,
  toolIds: readonly string[],
): Extract<Verdict, { kind: 'refuse' }> | undefined {
  if (!tool) {
    return {
      kind: 'refuse',
      decision: 'DENIED',
      toolId: '',
      reason: `no tool named ${JSON.stringify(toolName)} exists in the tenant`,
    };
  }
  const { toolId, name } = tool.definition;
  if (!toolIds.includes(toolId)) {
    return {
      kind: 'refuse',
      decision: 'DENIED',
      toolId,
      reason: `tool ${name} is not granted to the agent (not among its tool_ids)`,
    };
  }
  if (!tool.enabled) return { kind: 'refuse', decision: 'DENIED', toolId, reason: `tool ${name} is disabled` };
  return undefined;
}

/** How governance's answer for a granted tool decides the call (see GovernedToolCall). */
export function verdictOf(
  tool: ToolRegistered,
  access: Pick<CheckAccessResponse, 'decision' | 'explanation' | 'matchedRule'>,
): Verdict {
  switch (access.decision) {
    case AccessDecision.ALLOWED:
      return {
        kind: 'run',
        decision: 'ALLOWED',
        tool,
        reason: `granted by the agent's tool_ids; ${access.explanation}`,
      };
    case AccessDecision.APPROVAL_REQUIRED:
      return { kind: 'approval', tool, reason: access.explanation };
    case AccessDecision.BUDGET_EXHAUSTED:
      return { kind: 'exhausted', tool, reason: access.explanation };
    default:
      // DENIED by a rule refuses; DENIED because no rule matched leaves the grant to decide.
      if (access.matchedRule?.effect === RuleEffect.DENY) {
        return { kind: 'refuse', decision: 'DENIED', toolId: tool.toolId, reason: access.explanation };
      }
      return {
        kind: 'run',
        decision: 'ALLOWED',
        tool,
        reason: "granted by the agent's tool_ids; no policy rule applies",
      };
  }
}
