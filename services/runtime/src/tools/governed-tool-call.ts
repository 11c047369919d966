import { createHash } from 'node:crypto';
import {
  AccessDecision,
  RuleEffect,
  type CheckAccessResponse,
  type RunEvent,
  type ToolDecisionName,
  type ToolRegistered,
  toolPriceOf,
} from '@aos/contracts';
import type { RequestContext } from '@aos/messaging';
import { inSpan, SpanKind } from '@aos/telemetry';
import type { ApprovalView } from '../model/runtime.model';
import type { ToolView } from '../model/views';
import { usedCallIdError } from '../run/run.decider';
import { runtimeTracer } from '../run/runtime.tracer';
import { truncate, type RunRecorder } from '../run/run.recorder';
import type { GovernancePort } from '../run/runtime.ports';
import { chargeToolPrice, exhaustedReason, toolPriceNote } from '../run/usage-charge';
import type { BuiltinToolCalls } from './builtin/builtin-tool-call';
import { isBuiltinTool } from './builtin/builtin-tools';
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
  /** The knowledge bases its definition lists: all that knowledge_search may search. */
  knowledgeBaseIds: readonly string[];
  /** The teams of its label `team`: the `team/<label>` context scopes it may use. */
  teams: readonly string[];
  /** The correlation of the request that submitted the task: its `task/<id>` context scope ('' when unknown). */
  taskCorrelationId: string;
  recorder: RunRecorder;
  /** Aborts when the run must stop (lease lost, task cancelled, shutdown). */
  signal: AbortSignal;
}

export interface ToolCallRequest {
  /**
   * The call's key, unique within the run: an external agent's call_id, or
   * for the model loop the turn and the model's id (`<turn>:<id>`). A key the
   * run used before is refused (INVALID_ARGUMENT naming call_id).
   */
  callId: string;
  toolName: string;
  /** The arguments as the model sent them: JSON text. */
  argumentsJson: string;
}

export type ToolCalledData = Extract<RunEvent, { type: 'ToolCalled' }>['data'];

/** What the event recorded for a call (ToolCalled, or KnowledgeSearched) says of it. */
export type RecordedCall = Pick<ToolCalledData, 'decision' | 'decisionReason' | 'outcome' | 'error'>;

/** What the call gives back to the loop. */
export interface ToolCallOutcome {
  /** The text the model (or the external agent) receives as the tool's result. */
  content: string;
  /** The event recorded for the call: the decision, its reason, and the outcome or error. */
  recorded: RecordedCall;
  /** Set when the run must end now: a person rejected the call, or a budget is used up. */
  endRun?: { code: 'PERMISSION_DENIED' | 'RESOURCE_EXHAUSTED'; reason: string };
  /** The budgets a priced call's charge used up (their descriptions): nothing more may be spent. */
  exhausted?: string[];
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
export type RecordToolCall = (
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
 *    the grant is enough then); a used-up budget ends the run;
 *  - a priced tool (price_micros) is charged its price BEFORE it is called,
 *    after the decision (and a person's approval, if asked), in one step
 *    with the budgets' check (chargeToolPrice; UsageCharged with the call id
 *    before ToolCalled): while the agent's or the tenant's budget is used up
 *    the charge is refused, the tool is not called and the run ends
 *    (RESOURCE_EXHAUSTED). A person is not asked while a budget is used up.
 *  - a call id names one call of the run: a repeated one is refused
 *    (INVALID_ARGUMENT naming call_id) before anything is asked or called,
 *    so a call can neither go uncharged nor reuse another call's approval.
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
      /** knowledge_search, context_get and context_put. */
      builtins: BuiltinToolCalls;
      now?: () => number;
    },
  ) {}

  /**
   * The call, in an `execute_tool <name>` span (GenAI conventions: the tool's
   * name, the call's id) that says what governance decided and how it went;
   * never the arguments or the result.
   */
  call(run: ToolCallRun, request: ToolCallRequest): Promise<ToolCallOutcome> {
    return inSpan(
      runtimeTracer,
      `execute_tool ${request.toolName}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': request.toolName,
          'gen_ai.tool.call.id': request.callId,
          'gen_ai.agent.id': run.agentId,
          'aos.tenant.id': run.tenantId,
          'aos.task.id': run.taskId,
          'aos.run.id': run.runId,
        },
      },
      async (span) => {
        const outcome = await this.governed(run, request);
        const { decision, outcome: result } = outcome.recorded;
        span.setAttributes({ 'aos.tool.decision': decision, 'aos.tool.outcome': result });
        if (result === 'error') span.setAttribute('error.type', 'tool_error');
        return outcome;
      },
    );
  }

  private async governed(run: ToolCallRun, request: ToolCallRequest): Promise<ToolCallOutcome> {
    if (run.recorder.callIdUsed(request.callId)) throw usedCallIdError(run.runId, request.callId);
    // The built-in tools win over a registered tool of the same name (see builtin-tools.ts).
    if (isBuiltinTool(request.toolName)) return this.deps.builtins.call(run, request, request.toolName);
    const record = toolCallRecorder(run, request, this.now);
    const verdict = await this.decide(run, request);

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
        const { tool } = verdict;
        const decided = await awaitApproval(this.deps, run, {
          callId: request.callId,
          action: TOOLS_CALL_ACTION,
          resource: `tools/${tool.toolId}`,
          toolId: tool.toolId,
          reason: `wants to call tool ${tool.name}; ${verdict.reason}`,
          argumentsJson: request.argumentsJson,
        });
        if (decided.status === 'APPROVED') {
          return this.execute(run, request, verdict.tool, 'APPROVED', approvedReason(decided), record);
        }
        const why = refusedApproval(decided, `the call of tool ${verdict.tool.name}`);
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
    const verdict = verdictOf(tool!.definition, access);
    // A call allowed outright is charged (or refused for a used-up budget) by its charge alone.
    if (verdict.kind !== 'approval') return verdict;
    return (await this.usedUpBudgets(run, verdict.tool)) ?? verdict;
  }

  /**
   * A person is not asked to approve a priced call while the agent's or the
   * tenant's budget is used up: the same refusal as governance's
   * BUDGET_EXHAUSTED. (The charge after the approval checks again.)
   */
  private async usedUpBudgets(
    run: ToolCallRun,
    tool: ToolRegistered,
  ): Promise<Extract<Verdict, { kind: 'exhausted' }> | undefined> {
    const price = toolPriceOf(tool);
    if (price === 0) return undefined;
    const exhausted = await this.deps.governance.exhaustedBudgets(run.ctx, run.agentId);
    if (exhausted.length === 0) return undefined;
    return {
      kind: 'exhausted',
      tool,
      reason: `${exhaustedReason(exhausted)}; ${toolPriceNote(tool.name, price)}`,
    };
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
    // Charged before the call, in one step with the budgets' check: a call made is never free.
    const priceMicros = toolPriceOf(tool);
    const charged = await chargeToolPrice(this.deps.governance, run.ctx, {
      agentId: run.agentId,
      source: run.runId,
      requestId: toolChargeRequestId(run.runId, request.callId),
      toolName: tool.name,
      priceMicros,
    });
    if (!charged.charged) {
      const recorded = await record(tool.toolId, 'DENIED', charged.refusal, 'refused', '', charged.refusal);
      return {
        content: `Tool call refused: ${charged.refusal}`,
        recorded,
        endRun: { code: 'RESOURCE_EXHAUSTED', reason: charged.refusal },
      };
    }
    if (priceMicros > 0) {
      await run.recorder.record({
        type: 'ChargeUsage',
        data: { runId: run.runId, tokens: 0, costMicros: priceMicros, callId: request.callId },
      });
    }
    const execution = await this.deps.executor.execute(tool, args, run.signal);
    const recorded = await record(tool.toolId, decision, reason, execution.outcome, execution.result, execution.error);
    const content =
      execution.outcome === 'ok' ? truncate(execution.result, 64 * 1024) : `Tool call failed: ${execution.error}`;
    return { recorded, content, ...(charged.exhausted.length > 0 ? { exhausted: charged.exhausted } : {}) };
  }

  private readonly now = (): number => this.deps.now?.() ?? performance.now();
}

/** The idempotency key of a priced call's charge, from the run and the call id. */
export function toolChargeRequestId(runId: string, callId: string): string {
  return callRequestId(runId, 'tool', callId);
}

/**
 * A request id of something a call asks for (`tool`: its charge, `approval`:
 * its approval), from the run and the call id (an external agent's call id,
 * up to 128 characters, is hashed when long: a request id has at most 128).
 * The call id is unique within the run, so each call's requests are its own.
 */
export function callRequestId(runId: string, kind: 'tool' | 'approval', callId: string): string {
  const key = callId.length <= 64 ? callId : createHash('sha256').update(callId).digest('hex').slice(0, 40);
  return `${runId}/${kind}/${key}`;
}

/**
 * How a call's ToolCalled event is recorded: with the call's name, id and
 * arguments, and its duration from now on.
 */
export function toolCallRecorder(run: ToolCallRun, request: ToolCallRequest, now: () => number): RecordToolCall {
  const started = now();
  return async (toolId, decision, decisionReason, outcome, result, error) => {
    const data: ToolCalledData = {
      runId: run.runId,
      callId: request.callId,
      toolName: request.toolName,
      argumentsJson: truncate(request.argumentsJson),
      toolId,
      decision,
      decisionReason: truncate(decisionReason, 2048),
      outcome,
      result: truncate(result),
      error: truncate(error),
      durationMs: Math.max(0, Math.round(now() - started)),
    };
    await run.recorder.record({ type: 'RecordToolCall', data });
    return data;
  };
}

/** What a person is asked to approve. */
export interface ApprovalAsk {
  callId: string;
  action: string;
  resource: string;
  /** Recorded in ApprovalAwaited: the tool's id (`builtin:<name>` for a built-in tool). */
  toolId: string;
  /** What the agent wants and why it needs approval, for the person deciding. */
  reason: string;
  /** The call's input as the agent gave it (JSON): governance keeps it beside the reason (Approval.arguments_json). */
  argumentsJson: string;
}

/**
 * Asks governance for a person's approval of the call and waits for the
 * decision, recording ApprovalAwaited (routing derives WAITING_APPROVAL from
 * it) and ApprovalReceived in the run. Every governed call that waits for a
 * person comes here: the model loop's and an external agent's tool calls
 * (GovernedToolCall), and the built-in context tools. The approval names the
 * run, so governance withdraws it if the run stops counting before anyone
 * decides; the wait then ends with the run's signal.
 */
export async function awaitApproval(
  deps: { governance: GovernancePort; catalog: Pick<ToolCatalog, 'decidedApproval'> },
  run: ToolCallRun,
  ask: ApprovalAsk,
): Promise<ApprovalView> {
  const approval = await deps.governance.requestApproval(run.ctx, {
    subject: `agent:${run.agentId}`,
    action: ask.action,
    resource: ask.resource,
    reason: truncate(`task ${run.taskId} (run ${run.runId}) ${ask.reason}`, 1000),
    argumentsJson: ask.argumentsJson,
    runId: run.runId,
    ttlSeconds: APPROVAL_TTL_SECONDS,
    requestId: callRequestId(run.runId, 'approval', ask.callId),
  });
  // The run's record is the one fact: routing derives the task's WAITING_APPROVAL from it.
  await run.recorder.record({
    type: 'AwaitApproval',
    data: { runId: run.runId, callId: ask.callId, approvalId: approval.id, toolId: ask.toolId },
  });
  const decided = await deps.catalog.decidedApproval(run.tenantId, approval.id, run.signal);
  await run.recorder.record({
    type: 'ReceiveApproval',
    data: {
      runId: run.runId,
      approvalId: approval.id,
      approved: decided.status === 'APPROVED',
      decidedBy: decided.decidedBy,
      reason: decided.reason,
    },
  });
  return decided;
}

/** The decision reason of an approved call. */
export function approvedReason(decided: ApprovalView): string {
  return `approved by ${decided.decidedBy}${decided.reason ? `: ${decided.reason}` : ''}`;
}

/** Why a call whose approval was rejected or expired is refused; `what` names the call. */
export function refusedApproval(decided: ApprovalView, what: string): string {
  return decided.status === 'EXPIRED'
    ? `the approval of ${what} expired before anyone decided`
    : `${what} was rejected by ${decided.decidedBy}${decided.reason ? `: ${decided.reason}` : ''}`;
}

/** The arguments as an object, or what is wrong with them. */
export function parseArguments(json: string): Record<string, unknown> | string {
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

/**
 * What governance's answer means for something the agent's grant covers: a
 * rule that allows runs it; no rule at all leaves the grant to decide (it
 * runs); a DENY rule refuses; a rule requiring approval waits for a person;
 * a used-up budget refuses and ends the run.
 */
export type Policy =
  | { kind: 'allow'; reason: string }
  | { kind: 'deny'; reason: string }
  | { kind: 'approval'; reason: string }
  | { kind: 'exhausted'; reason: string };

export function policyOf(
  access: Pick<CheckAccessResponse, 'decision' | 'explanation' | 'matchedRule'>,
  grant: string,
): Policy {
  switch (access.decision) {
    case AccessDecision.ALLOWED:
      return { kind: 'allow', reason: `${grant}; ${access.explanation}` };
    case AccessDecision.APPROVAL_REQUIRED:
      return { kind: 'approval', reason: access.explanation };
    case AccessDecision.BUDGET_EXHAUSTED:
      return { kind: 'exhausted', reason: access.explanation };
    default:
      // DENIED by a rule refuses; DENIED because no rule matched leaves the grant to decide.
      if (access.matchedRule?.effect === RuleEffect.DENY) return { kind: 'deny', reason: access.explanation };
      return { kind: 'allow', reason: `${grant}; no policy rule applies` };
  }
}

/** How governance's answer for a granted tool decides the call (see GovernedToolCall). */
export function verdictOf(
  tool: ToolRegistered,
  access: Pick<CheckAccessResponse, 'decision' | 'explanation' | 'matchedRule'>,
): Verdict {
  const policy = policyOf(access, "granted by the agent's tool_ids");
  switch (policy.kind) {
    case 'allow':
      return { kind: 'run', decision: 'ALLOWED', tool, reason: policy.reason };
    case 'deny':
      return { kind: 'refuse', decision: 'DENIED', toolId: tool.toolId, reason: policy.reason };
    case 'approval':
    case 'exhausted':
      return { kind: policy.kind, tool, reason: policy.reason };
    default:
      return policy satisfies never;
  }
}
