import type { RecordedStep, RequestIndex, RequestIndexState } from '@aos/command-pipeline';
import type { ProjectionSnapshot } from '@aos/service-host';
import type { AgentRunsState } from './agent/agent-health.projection';
import type { AgentProjection, AgentProjectionState, AgentRecord } from './agent/agent.projection';
import { requestStepData } from './agent/agent.handler';

/**
 * The versions of lifecycle's projection snapshots: raise one with every
 * change to what its models keep or how they apply an event (a snapshot of
 * another version is not used; the log is replayed instead).
 */
export const LIFECYCLE_SNAPSHOT_VERSIONS = { agent: 3, run: 1 } as const;

/** The agent subscription's snapshot: the agent projection (with the sessions' health) and the pipeline's request index. */
interface AgentSnapshotState {
  projection: AgentProjectionState;
  requests: PackedRequests;
}

/**
 * The request index in columns: v8 writes a string each time it meets it,
 * so the steps' repeated strings (type, category, stream id) are kept once
 * in `strings` and named by index, their numbers in typed arrays (written as
 * one block each). A step's `after` record (the agent right after it, for
 * a retry's reply) is the model's current record, named as such, or an
 * older one kept in columns (what the step and the versions do not say
 * already) and built again at restore; one of another shape stays an object.
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
  after: PackedAfter;
}

/** How a step's `after` is kept. */
const enum AfterKind {
  None = 0,
  /** The model's record of the stream now (the same object after a restore). */
  Current = 1,
  /** An older record, in the columns of PackedAfter. */
  Packed = 2,
  /** Kept as it is, in PackedAfter.objects. */
  Object = 3,
}

const STATUSES: readonly AgentRecord['agent']['status'][] = ['DRAFT', 'ACTIVE', 'PAUSED', 'RETIRED'];

/** Per step: its AfterKind, and for a packed record what the step, the tenant and the versions do not say. */
interface PackedAfter {
  kinds: Uint8Array;
  objects: unknown[];
  statuses: Uint8Array;
  definitionVersions: Float64Array;
  createdBy: Uint32Array;
  createPositions: Float64Array;
  createTimes: Uint32Array;
  /** updateTime, epoch ms (packed only when its ISO string comes back the same). */
  updateTimes: Float64Array;
  /** recordedHealth's status (a string index), or -1 when the agent has none. */
  healthStatuses: Int32Array;
  healthCauses: Float64Array;
}

export function packRequests(state: RequestIndexState, projection: AgentProjection): PackedRequests {
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
    after: {
      kinds: new Uint8Array(stepCount),
      objects: [],
      statuses: new Uint8Array(stepCount),
      definitionVersions: new Float64Array(stepCount),
      createdBy: new Uint32Array(stepCount),
      createPositions: new Float64Array(stepCount),
      createTimes: new Uint32Array(stepCount),
      updateTimes: new Float64Array(stepCount),
      healthStatuses: new Int32Array(stepCount),
      healthCauses: new Float64Array(stepCount),
    },
  };
  const after = packed.after;
  /** Whether the record is what unpackAfter builds from the step and the columns. */
  const packable = (tenantId: string, step: RecordedStep, record: AgentRecord): boolean => {
    const { agent } = record;
    const health = agent.recordedHealth;
    return (
      Object.keys(record).length === 7 &&
      Object.keys(agent).length === (health ? 6 : 5) &&
      (!health || Object.keys(health).length === 2) &&
      record.tenantId === tenantId &&
      record.revision === step.revision &&
      record.logPosition === step.position &&
      agent.agentId === step.streamId &&
      STATUSES.includes(agent.status) &&
      typeof agent.createdBy === 'string' &&
      typeof record.createTime === 'string' &&
      projection.versions.definition(tenantId, agent.agentId, agent.definitionVersion) === agent.definition &&
      new Date(Date.parse(record.updateTime)).toISOString() === record.updateTime
    );
  };
  const packAfter = (tenantId: string, step: RecordedStep, i: number) => {
    const record = step.after as AgentRecord | undefined;
    if (record === undefined) after.kinds[i] = AfterKind.None;
    else if (record === projection.get(tenantId, step.streamId)) after.kinds[i] = AfterKind.Current;
    else if (typeof record === 'object' && record !== null && packable(tenantId, step, record)) {
      after.kinds[i] = AfterKind.Packed;
      after.statuses[i] = STATUSES.indexOf(record.agent.status);
      after.definitionVersions[i] = record.agent.definitionVersion;
      after.createdBy[i] = ref(record.agent.createdBy);
      after.createPositions[i] = record.createPosition;
      after.createTimes[i] = ref(record.createTime);
      after.updateTimes[i] = Date.parse(record.updateTime);
      const health = record.agent.recordedHealth;
      after.healthStatuses[i] = health ? ref(health.status) : -1;
      after.healthCauses[i] = health?.causePosition ?? 0;
    } else {
      after.kinds[i] = AfterKind.Object;
      after.objects.push(record);
    }
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
        packAfter(tenantId, step, s++);
      }
    }
  }
  return packed;
}

export function unpackRequests(packed: PackedRequests, projection: AgentProjection): RequestIndexState {
  const { strings, after } = packed;
  let objects = 0;
  const unpackAfter = (tenantId: string, streamId: string, revision: number, position: number, i: number) => {
    switch (after.kinds[i] as AfterKind) {
      case AfterKind.None:
        return undefined;
      case AfterKind.Current:
        return projection.get(tenantId, streamId);
      case AfterKind.Object:
        return after.objects[objects++];
      case AfterKind.Packed: {
        const definitionVersion = after.definitionVersions[i]!;
        const health = after.healthStatuses[i]!;
        const agent = {
          status: STATUSES[after.statuses[i]!]!,
          agentId: streamId,
          definition: projection.versions.definition(tenantId, streamId, definitionVersion)!,
          definitionVersion,
          createdBy: strings[after.createdBy[i]!]!,
          ...(health >= 0
            ? {
                recordedHealth: {
                  status: strings[health] as NonNullable<AgentRecord['agent']['recordedHealth']>['status'],
                  causePosition: after.healthCauses[i]!,
                },
              }
            : {}),
        };
        const record: AgentRecord = {
          tenantId,
          agent,
          revision,
          logPosition: position,
          createPosition: after.createPositions[i]!,
          createTime: strings[after.createTimes[i]!]!,
          updateTime: new Date(after.updateTimes[i]!).toISOString(),
        };
        return Object.freeze(record);
      }
    }
  };
  const state: RequestIndexState = new Map();
  let r = 0;
  let s = 0;
  for (let t = 0; t < packed.tenants.length; t += 2) {
    const requests = new Map<string, RecordedStep[]>();
    const tenantId = strings[packed.tenants[t]!]!;
    state.set(tenantId, requests);
    for (let end = r + packed.tenants[t + 1]!; r < end; r++) {
      const steps: RecordedStep[] = [];
      for (let n = packed.stepCounts[r]!; n > 0; n--, s++) {
        const rolledBackTo = packed.rolledBackTo[s]!;
        const streamId = strings[packed.streamIds[s]!]!;
        const revision = packed.revisions[s]!;
        const position = packed.positions[s]!;
        steps.push({
          type: strings[packed.types[s]!]!,
          category: strings[packed.categories[s]!]!,
          streamId,
          revision,
          position,
          data: requestStepData(rolledBackTo === 0 ? undefined : rolledBackTo),
          after: unpackAfter(tenantId, streamId, revision, position, s),
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
      capture: () => ({ projection: projection.capture(), requests: packRequests(requests.capture(), projection) }),
      restore: (state) => {
        projection.restore(state.projection);
        requests.restore(unpackRequests(state.requests, projection));
      },
    },
    run: {
      version: LIFECYCLE_SNAPSHOT_VERSIONS.run,
      capture: () => projection.health.captureRuns(),
      restore: (state) => projection.health.restoreRuns(state),
    },
  };
}
