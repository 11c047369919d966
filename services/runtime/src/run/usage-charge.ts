import type { RecordUsageBody } from '@aos/contracts';
import { AosError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import type { RunRecorder } from './run.recorder';
import { exhaustedOf, type GovernancePort } from './runtime.ports';

/**
 * What charging usage came to: charged, with the budgets it used up now
 * (their descriptions, e.g. "tenant budget"), or refused because a budget was
 * used up already (governance's RESOURCE_EXHAUSTED; nothing was charged).
 */
export type ChargeResult = { charged: true; exhausted: string[] } | { charged: false; refusal: string };

/**
 * Charges usage to the agent's budget (when `agentId` is set) and the
 * tenant's through governance's recordUsage. The body's request id makes a
 * retried charge count once.
 */
export async function chargeBudgets(
  governance: Pick<GovernancePort, 'recordUsage'>,
  ctx: RequestContext,
  body: RecordUsageBody,
): Promise<ChargeResult> {
  try {
    const { budgets } = await governance.recordUsage(ctx, body);
    return { charged: true, exhausted: exhaustedOf(budgets) };
  } catch (err) {
    if (err instanceof AosError && err.code === 'RESOURCE_EXHAUSTED') return { charged: false, refusal: err.message };
    throw err;
  }
}

/** A priced tool call to be charged: by a run (the model loop, an external agent) or a direct call. */
export interface ToolCharge {
  /** The agent charged beside the tenant ('' for the tenant's budget alone). */
  agentId: string;
  /** The run, or the direct call's stream. */
  source: string;
  /** Derived from the run and the call (or the direct call's request): a retried charge counts once. */
  requestId: string;
  toolName: string;
  priceMicros: number;
}

/**
 * Charges a priced tool call its price BEFORE the call is made, in one step
 * with the check of the budgets: governance's recordUsage refuses
 * (RESOURCE_EXHAUSTED, nothing charged) while the agent's or the tenant's
 * budget is used up, and the call is then not made. A free tool is no
 * request. The model loop, external agents' calls and direct calls all
 * charge tool prices here. A crash after the charge and before the call
 * leaves a charge for a call not made: conservative for a limit.
 */
export async function chargeToolPrice(
  governance: Pick<GovernancePort, 'recordUsage'>,
  ctx: RequestContext,
  charge: ToolCharge,
): Promise<ChargeResult> {
  const { agentId, source, requestId, toolName, priceMicros } = charge;
  if (priceMicros === 0) return { charged: true, exhausted: [] };
  const result = await chargeBudgets(governance, ctx, {
    agentId,
    tokens: 0,
    costMicros: priceMicros,
    source,
    requestId,
  });
  if (result.charged) return result;
  return { charged: false, refusal: `${result.refusal}; ${toolPriceNote(toolName, priceMicros)}` };
}

/** What a refusal for a used-up budget adds of a priced tool. */
export function toolPriceNote(toolName: string, priceMicros: number): string {
  return `tool ${toolName} costs ${priceMicros} micros a call and was not called`;
}

/** A model call's usage in a run: its tokens and cost (a priced tool call is chargeToolPrice's). */
export interface RunUsage {
  agentId: string;
  runId: string;
  /** Derived from the run and the turn, so a retry is charged once. */
  requestId: string;
  tokens: number;
  costMicros: number;
}

/**
 * Charges a run's usage to the budgets and records it in the run
 * (UsageCharged); nothing to charge is no request and no event.
 */
export async function chargeRun(
  governance: Pick<GovernancePort, 'recordUsage'>,
  ctx: RequestContext,
  recorder: RunRecorder,
  usage: RunUsage,
): Promise<ChargeResult> {
  const { agentId, runId, requestId, tokens, costMicros } = usage;
  if (tokens === 0 && costMicros === 0) return { charged: true, exhausted: [] };
  const result = await chargeBudgets(governance, ctx, { agentId, tokens, costMicros, source: runId, requestId });
  if (result.charged) {
    await recorder.record({ type: 'ChargeUsage', data: { runId, tokens, costMicros } });
  }
  return result;
}

/** How used-up budgets are told: "the budget of agent a1 and the tenant budget is exhausted for this period". */
export function exhaustedReason(exhausted: readonly string[]): string {
  return `the ${exhausted.join(' and the ')} is exhausted for this period`;
}
