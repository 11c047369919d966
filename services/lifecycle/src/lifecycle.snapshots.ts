import type { RequestIndex, RequestIndexState } from '@aos/command-pipeline';
import type { ProjectionSnapshot } from '@aos/service-host';
import type { AgentRunsState } from './agent/agent-health.projection';
import type { AgentProjection, AgentProjectionState } from './agent/agent.projection';

/**
 * The versions of lifecycle's projection snapshots: raise one with every
 * change to what its models keep or how they apply an event (a snapshot of
 * another version is not used; the log is replayed instead).
 */
export const LIFECYCLE_SNAPSHOT_VERSIONS = { agent: 1, run: 1 } as const;

/** The agent subscription's snapshot: the agent projection (with the sessions' health) and the pipeline's request index. */
interface AgentSnapshotState {
  projection: AgentProjectionState;
  requests: RequestIndexState;
}

/**
 * How each of lifecycle's two subscriptions is snapshotted: `agent` holds
 * everything the agent-* events change (the agents, their versions, their
 * sessions' health, the request index), `run` what the run-* events change
 * (the runs in flight, the agents' run histories and figures).
 */
export function lifecycleSnapshots(
  projection: AgentProjection,
  requests: RequestIndex,
): { agent: ProjectionSnapshot<AgentSnapshotState>; run: ProjectionSnapshot<AgentRunsState> } {
  return {
    agent: {
      version: LIFECYCLE_SNAPSHOT_VERSIONS.agent,
      // One state, serialized at once: a request's reply snapshot stays the very record the model holds.
      capture: () => ({ projection: projection.capture(), requests: requests.capture() }),
      restore: (state) => {
        projection.restore(state.projection);
        requests.restore(state.requests);
      },
    },
    run: {
      version: LIFECYCLE_SNAPSHOT_VERSIONS.run,
      capture: () => projection.health.captureRuns(),
      restore: (state) => projection.health.restoreRuns(state),
    },
  };
}
