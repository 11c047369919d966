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

/** A run's usage: a model call's tokens and cost, or a priced tool call's price (`callId` set, 0 tokens). */
export interface RunUsage {
  agentId: string;
  runId: string;
  /** Derived from the run and the turn or call, so a retry is charged once. */
  requestId: string;
  tokens: number;
  costMicros: number;
  callId?: string;
}

/**
 * Charges a run's usage to the budgets and records it in the run
 * (UsageCharged); nothing to charge is no request and no event. A tool call
 * charged already (same call id) is not recorded again: the run's decider
 * refuses it, as governance counts the request id once.
 */
export async function chargeRun(
  governance: Pick<GovernancePort, 'recordUsage'>,
  ctx: RequestContext,
  recorder: RunRecorder,
  usage: RunUsage,
): Promise<ChargeResult> {
  const { agentId, runId, requestId, tokens, costMicros, callId } = usage;
  if (tokens === 0 && costMicros === 0) return { charged: true, exhausted: [] };
  const result = await chargeBudgets(governance, ctx, { agentId, tokens, costMicros, source: runId, requestId });
  if (result.charged) {
    await recorder.record({
      type: 'ChargeUsage',
      data: { runId, tokens, costMicros, ...(callId === undefined ? {} : { callId }) },
    });
  }
  return result;
}

/** How used-up budgets are told: "the budget of agent a1 and the tenant budget is exhausted for this period". */
export function exhaustedReason(exhausted: readonly string[]): string {
  return `the ${exhausted.join(' and the ')} is exhausted for this period`;
}
