import {
  agentHealthOf,
  evolveAgentHealth,
  parseRunEvent,
  RUN_CATEGORY,
  type AgentHealthSummary,
  type AgentRunOutcomes,
} from '@aos/domain';
import { applyRecorded, parseRecorded, type RecordedEvent } from '@aos/event-store';

/** Runs and agents are kept per tenant: `<tenant>/<id>`. */
const keyOf = (tenantId: string, id: string) => `${tenantId}/${id}`;

/**
 * The agents' health, folded from the runtime's run-* streams with
 * evolveAgentHealth beside the agent projection (any service may fold any
 * category of the log; lifecycle writes none of these). Built only from the
 * log, from position 0 at every start, so every replica and every restart
 * answers the same health. Memory: the runs in flight, and at most
 * HEALTH_WINDOW_RUNS outcomes per agent that ever ran.
 */
export class AgentHealthProjection {
  /** The agent of each run in flight. */
  private readonly running = new Map<string, string>();
  /** Each agent's newest counted outcomes. */
  private readonly outcomes = new Map<string, AgentRunOutcomes>();
  private lastPosition = 0;
  private appliedCount = 0;

  /** Number of run events applied so far. */
  get eventsApplied(): number {
    return this.appliedCount;
  }

  apply(event: RecordedEvent): void {
    if (event.category !== RUN_CATEGORY) return;
    // Redelivery after a reconnect must not count a run twice; the subscription delivers in log order.
    if (event.position <= this.lastPosition) return;
    this.lastPosition = event.position;
    const parsed = parseRecorded(event, parseRunEvent);
    if (!parsed) return;
    const tenantId = event.metadata.tenantId;
    const change = applyRecorded(event, () =>
      evolveAgentHealth(
        {
          agentOfRun: (runId) => this.running.get(keyOf(tenantId, runId)),
          outcomesOf: (agentId) => this.outcomes.get(keyOf(tenantId, agentId)),
        },
        parsed,
        event.time,
      ),
    );
    for (const runId of change.forget) this.running.delete(keyOf(tenantId, runId));
    if (change.remember) this.running.set(keyOf(tenantId, change.remember.runId), change.remember.agentId);
    if (change.agent) this.outcomes.set(keyOf(tenantId, change.agent.agentId), change.agent.outcomes);
    this.appliedCount += 1;
  }

  /** The agent's health now (UNKNOWN until one of its runs ended and counted). */
  health(tenantId: string, agentId: string): AgentHealthSummary {
    return agentHealthOf(this.outcomes.get(keyOf(tenantId, agentId)));
  }
}
