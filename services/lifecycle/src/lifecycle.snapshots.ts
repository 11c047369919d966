import type { RecordedStep, RequestIndex, RequestIndexState } from '@aos/command-pipeline';
import type { ProjectionSnapshot } from '@aos/service-host';
import type { AgentRunsState } from './agent/agent-health.projection';
import type { AgentProjection, AgentProjectionState } from './agent/agent.projection';
import { requestStepData } from './agent/agent.handler';

/**
 * The versions of lifecycle's projection snapshots: raise one with every
 * change to what its models keep or how they apply an event (a snapshot of
 * another version is not used; the log is replayed instead).
 */
export const LIFECYCLE_SNAPSHOT_VERSIONS = { agent: 2, run: 1 } as const;

/** The agent subscription's snapshot: the agent projection (with the sessions' health) and the pipeline's request index. */
interface AgentSnapshotState {
  projection: AgentProjectionState;
  requests: PackedRequests;
}

/**
 * The request index in columns: v8 writes a string each time it meets it,
 * so the steps' repeated strings (type, category, stream id) are kept once
 * in `strings` and named by index, their numbers in typed arrays (written as
 * one block each). The `after` records stay objects, shared with the model.
 * A third of the size of the index as it is, and as much faster to read.
 */
interface PackedRequests {
  strings: string[];
  /** Per tenant: its name's string, how many requests, then per request its id and step count. */
  tenants: Uint32Array;
  requestIds: string[];
  stepCounts: Uint32Array;
  /** Per step, in order: string indexes of type, category and stream id; revision; position; rolledBackTo (0: none). */
  types: Uint32Array;
  categories: Uint32Array;
  streamIds: Uint32Array;
  revisions: Float64Array;
  positions: Float64Array;
  rolledBackTo: Float64Array;
  after: unknown[];
}

export function packRequests(state: RequestIndexState): PackedRequests {
  const index = new Map<string, number>();
  const strings: string[] = [];
  const ref = (value: string) => {
    let i = index.get(value);
    if (i === undefined) index.set(value, (i = strings.push(value) - 1));
    return i;
  };
  let stepCount = 0;
  let requestCount = 0;
  for (const requests of state.values()) {
    requestCount += requests.size;
    for (const steps of requests.values()) stepCount += steps.length;
  }
  const packed: PackedRequests = {
    strings,
    tenants: new Uint32Array(state.size * 2),
    requestIds: new Array<string>(requestCount),
    stepCounts: new Uint32Array(requestCount),
    types: new Uint32Array(stepCount),
    categories: new Uint32Array(stepCount),
    streamIds: new Uint32Array(stepCount),
    revisions: new Float64Array(stepCount),
    positions: new Float64Array(stepCount),
    rolledBackTo: new Float64Array(stepCount),
    after: new Array<unknown>(stepCount),
  };
  let t = 0;
  let r = 0;
  let s = 0;
  for (const [tenantId, requests] of state) {
    packed.tenants[t++] = ref(tenantId);
    packed.tenants[t++] = requests.size;
    for (const [requestId, steps] of requests) {
      packed.requestIds[r] = requestId;
      packed.stepCounts[r++] = steps.length;
      for (const step of steps) {
        packed.types[s] = ref(step.type);
        packed.categories[s] = ref(step.category);
        packed.streamIds[s] = ref(step.streamId);
        packed.revisions[s] = step.revision;
        packed.positions[s] = step.position;
        packed.rolledBackTo[s] = (step.data as { rolledBackTo?: number }).rolledBackTo ?? 0;
        packed.after[s++] = step.after;
      }
    }
  }
  return packed;
}

export function unpackRequests(packed: PackedRequests): RequestIndexState {
  const { strings } = packed;
  const state: RequestIndexState = new Map();
  let r = 0;
  let s = 0;
  for (let t = 0; t < packed.tenants.length; t += 2) {
    const requests = new Map<string, RecordedStep[]>();
    state.set(strings[packed.tenants[t]!]!, requests);
    for (let end = r + packed.tenants[t + 1]!; r < end; r++) {
      const steps: RecordedStep[] = [];
      for (let n = packed.stepCounts[r]!; n > 0; n--, s++) {
        const rolledBackTo = packed.rolledBackTo[s]!;
        steps.push({
          type: strings[packed.types[s]!]!,
          category: strings[packed.categories[s]!]!,
          streamId: strings[packed.streamIds[s]!]!,
          revision: packed.revisions[s]!,
          position: packed.positions[s]!,
          data: requestStepData(rolledBackTo === 0 ? undefined : rolledBackTo),
          after: packed.after[s],
        });
      }
      requests.set(packed.requestIds[r]!, steps);
    }
  }
  return state;
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
      capture: () => ({ projection: projection.capture(), requests: packRequests(requests.capture()) }),
      restore: (state) => {
        projection.restore(state.projection);
        requests.restore(unpackRequests(state.requests));
      },
    },
    run: {
      version: LIFECYCLE_SNAPSHOT_VERSIONS.run,
      capture: () => projection.health.captureRuns(),
      restore: (state) => projection.health.restoreRuns(state),
    },
  };
}
