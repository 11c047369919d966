import {
  evolveAgentSnapshot,
  type AgentDefinition,
  type AgentEvent,
  type AgentSnapshot,
  type AgentStatusName,
  type HealthStatusName,
} from '@aos/domain';
import { assertNever, AlreadyExistsError, FailedPreconditionError, NotFoundError } from '@aos/errors';

/**
 * The Agent aggregate as a pure decider: no framework, no clock, no id
 * generator. Ids and the acting principal arrive in the command; the time of a
 * change is the time its event is recorded, so no command needs a clock.
 */

export type AgentLifecycleState = AgentStatusName;

/** The definition fields a caller may write; the order is the order of `changedFields`. */
export const DEFINITION_FIELDS = [
  'name',
  'description',
  'capabilities',
  'instructions',
  'model',
  'toolIds',
  'knowledgeBaseIds',
  'labels',
] as const satisfies readonly (keyof AgentDefinition)[];
export type DefinitionField = (typeof DEFINITION_FIELDS)[number];

/** The health status last recorded on the stream (AgentHealthChanged), and the position it was computed at. */
export interface RecordedHealth {
  readonly status: HealthStatusName;
  readonly causePosition: number;
}

/** Lifecycle's agent: the shared snapshot plus what only its owner decides on (the recorded health). */
export type ExistingAgent = AgentSnapshot & { readonly recordedHealth?: RecordedHealth };

export type AgentState = { status: 'NONE' } | ExistingAgent;

export const initialAgentState: AgentState = { status: 'NONE' };

export type CreateAgent = { type: 'CreateAgent'; agentId: string; definition: AgentDefinition; createdBy: string };
/** Only the fields present in `changes` are changed; the rest of the definition stays. */
export type UpdateAgent = { type: 'UpdateAgent'; agentId: string; changes: Partial<AgentDefinition> };
export type DeployAgent = { type: 'DeployAgent'; agentId: string; reason: string };
export type PauseAgent = { type: 'PauseAgent'; agentId: string; reason: string };
export type ResumeAgent = { type: 'ResumeAgent'; agentId: string; reason: string };
export type RetireAgent = { type: 'RetireAgent'; agentId: string; reason: string };
/**
 * `target` is version `toVersion`'s definition as the versions read model
 * holds it (undefined: it holds no such version); the decider only reads facts
 * from its command.
 */
export type RollbackAgent = {
  type: 'RollbackAgent';
  agentId: string;
  toVersion: number;
  target: AgentDefinition | undefined;
};

/** The runtime instance hosting an external agent's session records its start and end. */
export type RecordSessionAttached = {
  type: 'RecordSessionAttached';
  agentId: string;
  sessionId: string;
  maxConcurrentTasks: number;
};
export type RecordSessionEnded = { type: 'RecordSessionEnded'; agentId: string; sessionId: string; reason: string };
/**
 * The health reaction's proposal: the status lifecycle's health projection
 * computed from the log up to `causePosition`.
 */
export type RecordHealth = {
  type: 'RecordHealth';
  agentId: string;
  status: HealthStatusName;
  reason: string;
  causePosition: number;
};

export type AgentCommand =
  | CreateAgent
  | UpdateAgent
  | RollbackAgent
  | DeployAgent
  | PauseAgent
  | ResumeAgent
  | RetireAgent
  | RecordSessionAttached
  | RecordSessionEnded
  | RecordHealth;
export type AgentTransitionCommand = DeployAgent | PauseAgent | ResumeAgent | RetireAgent;

/** Returns the events a command causes; throws the typed error that says why it may not happen. */
export function decide(command: AgentCommand, state: AgentState): AgentEvent[] {
  if (command.type === 'CreateAgent') return decideCreate(command, state);
  if (state.status === 'NONE') throw new NotFoundError('agent', command.agentId);
  switch (command.type) {
    case 'UpdateAgent':
      return decideUpdate(command, state);
    case 'RollbackAgent':
      return decideRollback(command, state);
    case 'DeployAgent':
      requireState(state, ['DRAFT'], 'deploy');
      return [{ type: 'AgentDeployed', data: { agentId: state.agentId, reason: command.reason } }];
    case 'PauseAgent':
      requireState(state, ['ACTIVE'], 'pause');
      return [{ type: 'AgentPaused', data: { agentId: state.agentId, reason: command.reason } }];
    case 'ResumeAgent':
      requireState(state, ['PAUSED'], 'resume');
      return [{ type: 'AgentResumed', data: { agentId: state.agentId, reason: command.reason } }];
    case 'RetireAgent':
      return decideRetire(command, state);
    case 'RecordSessionAttached': {
      const { sessionId, maxConcurrentTasks } = command;
      return [{ type: 'AgentSessionAttached', data: { agentId: state.agentId, sessionId, maxConcurrentTasks } }];
    }
    case 'RecordSessionEnded': {
      const { sessionId, reason } = command;
      return [{ type: 'AgentSessionEnded', data: { agentId: state.agentId, sessionId, reason } }];
    }
    case 'RecordHealth':
      return decideHealth(command, state);
    default:
      return assertNever(command);
  }
}

function decideCreate(command: CreateAgent, state: AgentState): AgentEvent[] {
  if (state.status !== 'NONE') throw new AlreadyExistsError('agent', 'id', command.agentId);
  return [
    {
      type: 'AgentCreated',
      data: {
        agentId: command.agentId,
        definition: command.definition,
        definitionVersion: 1,
        createdBy: command.createdBy,
      },
    },
  ];
}

/** An update that changes nothing records nothing: the caller gets the agent as it is. */
function decideUpdate(command: UpdateAgent, state: ExistingAgent): AgentEvent[] {
  if (state.status === 'RETIRED') throw new FailedPreconditionError('cannot update agent in state RETIRED');
  return newDefinition(state, { ...state.definition, ...definedChanges(command.changes) });
}

/**
 * A rollback to the definition the agent already has records nothing, as an
 * update that changes nothing: retried or concurrent rollbacks to the same
 * version all succeed.
 */
function decideRollback(command: RollbackAgent, state: ExistingAgent): AgentEvent[] {
  if (state.status === 'RETIRED') throw new FailedPreconditionError('cannot roll back agent in state RETIRED');
  if (!command.target || command.toVersion > state.definitionVersion) {
    throw new NotFoundError('agent version', `${state.agentId} v${command.toVersion}`);
  }
  return newDefinition(state, command.target, command.toVersion);
}

/** The next definition version, when `definition` differs from the current one. */
function newDefinition(state: ExistingAgent, definition: AgentDefinition, rolledBackTo?: number): AgentEvent[] {
  const changedFields = DEFINITION_FIELDS.filter((f) => !sameValue(state.definition[f], definition[f]));
  if (changedFields.length === 0) return [];
  const definitionVersion = state.definitionVersion + 1;
  const data = { agentId: state.agentId, definition, definitionVersion, changedFields };
  return [{ type: 'AgentUpdated', data: rolledBackTo === undefined ? data : { ...data, rolledBackTo } }];
}

function decideRetire(command: RetireAgent, state: ExistingAgent): AgentEvent[] {
  const previousState = state.status;
  if (previousState === 'RETIRED') throw new FailedPreconditionError('cannot retire agent in state RETIRED');
  return [{ type: 'AgentRetired', data: { agentId: state.agentId, reason: command.reason, previousState } }];
}

/**
 * Recorded once per change of the status, however many replicas propose it:
 * nothing when the stream already holds this status, or a status computed
 * from a later position (a lagging replica's proposal is stale). A retired
 * agent's health is no longer recorded.
 */
function decideHealth(command: RecordHealth, state: ExistingAgent): AgentEvent[] {
  const recorded = state.recordedHealth ?? { status: 'UNKNOWN', causePosition: 0 };
  if (state.status === 'RETIRED' || command.causePosition < recorded.causePosition) return [];
  if (command.status === recorded.status) return [];
  const { status, reason, causePosition } = command;
  const data = { agentId: state.agentId, status, previousStatus: recorded.status, reason, causePosition };
  return [{ type: 'AgentHealthChanged', data }];
}

export function evolve(state: AgentState, event: AgentEvent): AgentState {
  const agent = evolveAgentSnapshot(state.status === 'NONE' ? undefined : state, event);
  if (event.type !== 'AgentHealthChanged') return agent;
  return { ...agent, recordedHealth: { status: event.data.status, causePosition: event.data.causePosition } };
}

function requireState(state: ExistingAgent, allowed: AgentLifecycleState[], verb: string): void {
  if (!allowed.includes(state.status)) {
    throw new FailedPreconditionError(`cannot ${verb} agent in state ${state.status}`);
  }
}

function definedChanges(changes: Partial<AgentDefinition>): Partial<AgentDefinition> {
  return Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
}

/** Structural equality of definition values: strings, string arrays (ordered), string maps (unordered). */
export function sameValue(a: AgentDefinition[DefinitionField], b: AgentDefinition[DefinitionField]): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => v === b[i]);
  }
  const aKeys = Object.keys(a);
  return aKeys.length === Object.keys(b).length && aKeys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
