import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  LifecycleSubjects,
  type Agent,
  type AgentStats,
  type AgentTransitionRequest,
  type CreateAgentRequest,
  type GetAgentRequest,
  type GetAgentStatsRequest,
  type ListAgentsRequest,
  type ListAgentsResponse,
  type ListAgentVersionsRequest,
  type ListAgentVersionsResponse,
  type RecordSessionBody,
  type RecordSessionReply,
  type RollbackAgentRequest,
  type UpdateAgentRequest,
} from '@aos/contracts';
import { type ServiceRequest, Receives } from '@aos/messaging';
import { AgentHandler } from './agent.handler';
import {
  validateContext,
  validateCreateAgent,
  validateGetAgent,
  validateGetAgentStats,
  validateListAgents,
  validateListAgentVersions,
  validateRecordSession,
  validateRollbackAgent,
  validateTransition,
  validateUpdateAgent,
} from './agent.validation';

/**
 * The NATS face of AgentService: one subject per gRPC method, the ts-proto
 * request as body, the ts-proto response as reply. It validates and forwards;
 * the handler does the work and RpcErrorFilter turns its errors into WireErrors.
 */
@Controller()
export class AgentController {
  constructor(@Inject(AgentHandler) private readonly agents: AgentHandler) {}

  @Receives(LifecycleSubjects.create)
  async createAgent(@Payload() request: ServiceRequest<CreateAgentRequest>): Promise<Agent> {
    return this.agents.handle(validateContext(request?.ctx), validateCreateAgent(request?.body));
  }

  @Receives(LifecycleSubjects.get)
  async getAgent(@Payload() request: ServiceRequest<GetAgentRequest>): Promise<Agent> {
    return this.agents.get(validateContext(request?.ctx), validateGetAgent(request?.body));
  }

  @Receives(LifecycleSubjects.list)
  async listAgents(@Payload() request: ServiceRequest<ListAgentsRequest>): Promise<ListAgentsResponse> {
    return this.agents.list(validateContext(request?.ctx), validateListAgents(request?.body));
  }

  @Receives(LifecycleSubjects.update)
  async updateAgent(@Payload() request: ServiceRequest<UpdateAgentRequest>): Promise<Agent> {
    return this.agents.handle(validateContext(request?.ctx), validateUpdateAgent(request?.body));
  }

  @Receives(LifecycleSubjects.deploy)
  async deployAgent(@Payload() request: ServiceRequest<AgentTransitionRequest>): Promise<Agent> {
    return this.agents.handle(validateContext(request?.ctx), validateTransition('DeployAgent', request?.body));
  }

  @Receives(LifecycleSubjects.pause)
  async pauseAgent(@Payload() request: ServiceRequest<AgentTransitionRequest>): Promise<Agent> {
    return this.agents.handle(validateContext(request?.ctx), validateTransition('PauseAgent', request?.body));
  }

  @Receives(LifecycleSubjects.resume)
  async resumeAgent(@Payload() request: ServiceRequest<AgentTransitionRequest>): Promise<Agent> {
    return this.agents.handle(validateContext(request?.ctx), validateTransition('ResumeAgent', request?.body));
  }

  @Receives(LifecycleSubjects.retire)
  async retireAgent(@Payload() request: ServiceRequest<AgentTransitionRequest>): Promise<Agent> {
    return this.agents.handle(validateContext(request?.ctx), validateTransition('RetireAgent', request?.body));
  }

  @Receives(LifecycleSubjects.listVersions)
  async listAgentVersions(
    @Payload() request: ServiceRequest<ListAgentVersionsRequest>,
  ): Promise<ListAgentVersionsResponse> {
    return this.agents.listVersions(validateContext(request?.ctx), validateListAgentVersions(request?.body));
  }

  @Receives(LifecycleSubjects.getStats)
  async getAgentStats(@Payload() request: ServiceRequest<GetAgentStatsRequest>): Promise<AgentStats> {
    return this.agents.getStats(validateContext(request?.ctx), validateGetAgentStats(request?.body));
  }

  @Receives(LifecycleSubjects.recordSession)
  async recordSession(@Payload() request: ServiceRequest<RecordSessionBody>): Promise<RecordSessionReply> {
    return this.agents.recordSession(validateContext(request?.ctx), validateRecordSession(request?.body));
  }

  @Receives(LifecycleSubjects.rollback)
  async rollbackAgent(@Payload() request: ServiceRequest<RollbackAgentRequest>): Promise<Agent> {
    return this.agents.handle(validateContext(request?.ctx), validateRollbackAgent(request?.body));
  }
}
