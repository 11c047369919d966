import {
  AGENT_HEALTH_RUN_EVENTS,
  agentHealthOf,
  evolveAgentHealth,
  parseRunEvent,
  RUN_CATEGORY,
  taskIdOfRun,
  type AgentHealthSummary,
  type AgentRunOutcomes,
} from '@aos/domain';
import { applyRecorded, parseRecorded, type RecordedEvent } from '@aos/event-store';

/** Runs, tasks and agents are kept per tenant: `<tenant>/<id>`. */
const keyOf = (tenantId: string, id: string) => `${tenantId}/${id}`;

/**
 * The agents' health, folded from the runtime's run-* streams with
 * evolveAgentHealth beside the agent projection (any service may fold any
 * category of the log; lifecycle writes none of these). Built only from the
 * log, from position 0 at every start, so every replica and every restart
 * answers the same health. Only RunStarted and the endings are parsed; the
 * rest of a run (model and tool calls) is skipped by its type. Memory: one
 * run in flight per task at most (keyed by the task), and at most
 * HEALTH_WINDOW_RUNS outcomes per agent that ever ran.
 */
export class AgentHealthProjection {
  /** The run in flight of each task, and its agent. */
  private readonly running = new Map<string, { runId: string; agentId: string }>();
  /** Each agent's newest counted outcomes. */
  private readonly outcomes = new Map<string, AgentRunOutcomes>();
  private lastPosition = 0;
  private appliedCount = 0;

  /** Number of run events folded so far (RunStarted and the endings; the others are skipped unparsed). */
  get eventsApplied(): number {
    return this.appliedCount;
  }

  /** How many runs are in flight: at most one per task. */
  get runsInFlight(): number {
    return this.running.size;
  }

  apply(event: RecordedEvent): void {
    if (event.category !== RUN_CATEGORY) return;
    // Redelivery after a reconnect must not count a run twice; the subscription delivers in log order.
    if (event.position <= this.lastPosition) return;
    this.lastPosition = event.position;
    if (!AGENT_HEALTH_RUN_EVENTS.has(event.type)) return;
    const parsed = parseRecorded(event, parseRunEvent);
    if (!parsed) return;
    const tenantId = event.metadata.tenantId;
    // Keyed by the task the run id names (`<taskId>-<attempt>`): a task's next attempt takes its previous one's place.
    const taskKey = (runId: string) => keyOf(tenantId, taskIdOfRun(runId) ?? runId);
    const inFlight = (runId: string) => {
      const entry = this.running.get(taskKey(runId));
      return entry?.runId === runId ? entry : undefined;
    };
    const change = applyRecorded(event, () =>
      evolveAgentHealth(
        {
          agentOfRun: (runId) => inFlight(runId)?.agentId,
          runOfTask: (taskId) => this.running.get(keyOf(tenantId, taskId))?.runId,
          outcomesOf: (agentId) => this.outcomes.get(keyOf(tenantId, agentId)),
        },
        parsed,
        event.time,
      ),
    );
    for (const runId of change.forget) if (inFlight(runId)) this.running.delete(taskKey(runId));
    if (change.remember) {
      const { runId, agentId } = change.remember;
      this.running.set(taskKey(runId), { runId, agentId });
    }
    if (change.agent) this.outcomes.set(keyOf(tenantId, change.agent.agentId), change.agent.outcomes);
    this.appliedCount += 1;
  }

  /** The agent's health now (UNKNOWN until one of its runs ended and counted). */
  health(tenantId: string, agentId: string): AgentHealthSummary {
    return agentHealthOf(this.outcomes.get(keyOf(tenantId, agentId)));
  }
}
