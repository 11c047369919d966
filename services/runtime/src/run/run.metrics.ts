import type { NewEvent, StreamRef } from '@aos/event-store';
import { ToolDecisionSchema } from '@aos/domain';
import { metrics } from '@aos/metrics';

const RUN_OUTCOMES: Record<string, string> = {
  RunSucceeded: 'succeeded',
  RunFailed: 'failed',
  RunStopped: 'stopped',
};

/**
 * Counts what the runtime appended into its metrics: runs by outcome, model
 * tokens by direction, model cost (the usage charged for model calls, in
 * micros) and tool calls by decision. Labels hold only those bounded names.
 */
export function countRunEvents(_stream: StreamRef, events: readonly NewEvent[]): void {
  for (const event of events) {
    const data = event.data as Record<string, unknown>;
    const outcome = RUN_OUTCOMES[event.type];
    if (outcome) metrics.runs.inc({ outcome });
    else if (event.type === 'ModelCalled') {
      metrics.modelTokens.inc({ direction: 'input' }, Number(data.promptTokens) || 0);
      metrics.modelTokens.inc({ direction: 'output' }, Number(data.completionTokens) || 0);
    } else if (event.type === 'UsageCharged' && data.callId === undefined)
      metrics.modelCostMicros.inc(Number(data.costMicros) || 0);
    else if (event.type === 'ToolCalled' || event.type === 'DirectToolCalled') {
      const decision = ToolDecisionSchema.safeParse(data.decision);
      if (decision.success) metrics.toolCalls.inc({ decision: decision.data.toLowerCase() });
    }
  }
}
