import type {
  Agent,
  AgentChange,
  AgentStats,
  AgentTransitionRequest,
  CreateAgentRequest,
  GetAgentRequest,
  GetAgentStatsRequest,
  ListAgentsRequest,
  ListAgentsResponse,
  ListAgentVersionsRequest,
  ListAgentVersionsResponse,
  RollbackAgentRequest,
  UpdateAgentRequest,
  WatchAgentsRequest,
} from '@aos/contracts';
import type { CallInvoker, ServerStreamMethod, UnaryMethod } from './call-invoker';
import { loadServiceDefinition } from './proto-definition';

/** aos.v1.AgentService, one promise-returning method per RPC. */
export interface AgentsClient {
  createAgent: UnaryMethod<CreateAgentRequest, Agent>;
  getAgent: UnaryMethod<GetAgentRequest, Agent>;
  listAgents: UnaryMethod<ListAgentsRequest, ListAgentsResponse>;
  /** `updateMask` lists proto field names, e.g. `['description', 'tool_ids']`. */
  updateAgent: UnaryMethod<UpdateAgentRequest, Agent>;
  deployAgent: UnaryMethod<AgentTransitionRequest, Agent>;
  pauseAgent: UnaryMethod<AgentTransitionRequest, Agent>;
  resumeAgent: UnaryMethod<AgentTransitionRequest, Agent>;
  retireAgent: UnaryMethod<AgentTransitionRequest, Agent>;
  watchAgents: ServerStreamMethod<WatchAgentsRequest, AgentChange>;
  listAgentVersions: UnaryMethod<ListAgentVersionsRequest, ListAgentVersionsResponse>;
  rollbackAgent: UnaryMethod<RollbackAgentRequest, Agent>;
  getAgentStats: UnaryMethod<GetAgentStatsRequest, AgentStats>;
}

/**
 * UpdateAgentRequest as proto-loader encodes it: ts-proto unwraps
 * google.protobuf.FieldMask to `string[]`, proto-loader wants `{ paths }`.
 */
interface WireUpdateAgentRequest extends Omit<UpdateAgentRequest, 'updateMask'> {
  updateMask?: { paths: string[] };
}

export function createAgentsClient(invoker: CallInvoker): AgentsClient {
  const service = loadServiceDefinition('AgentService');
  const updateAgent = invoker.unary<WireUpdateAgentRequest, Agent>(service.UpdateAgent);
  return {
    createAgent: invoker.unary(service.CreateAgent),
    getAgent: invoker.unary(service.GetAgent),
    listAgents: invoker.unary(service.ListAgents),
    updateAgent: ({ updateMask, ...request }, options) =>
      updateAgent(updateMask === undefined ? request : { ...request, updateMask: { paths: updateMask } }, options),
    deployAgent: invoker.unary(service.DeployAgent),
    pauseAgent: invoker.unary(service.PauseAgent),
    resumeAgent: invoker.unary(service.ResumeAgent),
    retireAgent: invoker.unary(service.RetireAgent),
    watchAgents: invoker.serverStream(service.WatchAgents),
    listAgentVersions: invoker.unary(service.ListAgentVersions),
    rollbackAgent: invoker.unary(service.RollbackAgent),
    getAgentStats: invoker.unary(service.GetAgentStats),
  };
}
