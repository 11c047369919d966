import { Controller, Inject } from '@nestjs/common';
import type { Metadata, ServerWritableStream } from '@grpc/grpc-js';
import type { Observable } from 'rxjs';
import {
  AgentServiceControllerMethods,
  LifecycleSubjects,
  type Agent,
  type AgentChange,
  type AgentServiceController,
  type AgentStats,
  type AgentTransitionRequest,
  type CreateAgentRequest,
  type GetAgentRequest,
  type GetAgentStatsRequest,
  type ListAgentsRequest,
  type ListAgentsResponse,
  type ListAgentVersionsRequest,
  type ListAgentVersionsResponse,
  type RollbackAgentRequest,
  type UpdateAgentRequest,
  type WatchAgentsRequest,
} from '@aos/contracts';
import { resourceOf } from '@aos/access-control';
import { AccessModelFeed } from './access-model.feed';
import { AgentWatchStream } from './agent-watch.stream';
import { assertAllowed } from './authz/permission.guard';
import { RequiresPermission } from './authz/permission.registry';
import { CallContextResolver } from './call-context.resolver';
import { ServiceForwarder } from './service-forwarder';

/**
 * aos.v1.AgentService: forwards each call, untouched, to lifecycle with the
 * caller's tenant and actor. The PermissionGuard has authenticated and
 * authorized the call before a method here runs.
 */
@Controller()
@AgentServiceControllerMethods()
export class AgentController implements AgentServiceController {
  constructor(
    @Inject(CallContextResolver) private readonly calls: CallContextResolver,
    @Inject(ServiceForwarder) private readonly services: ServiceForwarder,
    @Inject(AgentWatchStream) private readonly watch: AgentWatchStream,
    @Inject(AccessModelFeed) private readonly access: AccessModelFeed,
  ) {}

  @RequiresPermission('agents.create')
  createAgent(request: CreateAgentRequest, metadata?: Metadata): Promise<Agent> {
    return this.services.forward(LifecycleSubjects.create, request, metadata);
  }

  /**
   * By name the guard could only check the tenant (`*`): there is no id before
   * lifecycle answers. The agent found is then checked as a lookup by its id
   * would have been, so a rule denying agents/<id> is not sidestepped by the
   * name, and the refusal reads the same either way.
   */
  @RequiresPermission('agents.get')
  async getAgent(request: GetAgentRequest, metadata?: Metadata): Promise<Agent> {
    const agent = await this.services.forward(LifecycleSubjects.get, request, metadata);
    if (!request.id) this.assertReadable(agent.id, metadata, 'AgentService.GetAgent');
    return agent;
  }

  /** agents.get on agents/<id>, for a lookup by name that the guard could only check on the tenant. */
  private assertReadable(agentId: string, metadata: Metadata | undefined, method: string): void {
    const { caller } = this.calls.of(metadata);
    assertAllowed(this.access.model, caller, 'agents.get', [resourceOf('AgentService', { id: agentId })], method);
  }

  /** Readable as the agent itself is: by name, the agent found is checked by its id as GetAgent does. */
  @RequiresPermission('agents.get')
  async getAgentStats(request: GetAgentStatsRequest, metadata?: Metadata): Promise<AgentStats> {
    const stats = await this.services.forward(LifecycleSubjects.getStats, request, metadata);
    if (!request.id) this.assertReadable(stats.agentId, metadata, 'AgentService.GetAgentStats');
    return stats;
  }

  @RequiresPermission('agents.list')
  listAgents(request: ListAgentsRequest, metadata?: Metadata): Promise<ListAgentsResponse> {
    return this.services.forward(LifecycleSubjects.list, request, metadata);
  }

  @RequiresPermission('agents.update')
  updateAgent(request: UpdateAgentRequest, metadata?: Metadata): Promise<Agent> {
    return this.services.forward(LifecycleSubjects.update, request, metadata);
  }

  /** Checked on agents/<id>: a history is as readable as the agent itself. */
  @RequiresPermission('agents.get')
  listAgentVersions(request: ListAgentVersionsRequest, metadata?: Metadata): Promise<ListAgentVersionsResponse> {
    return this.services.forward(LifecycleSubjects.listVersions, request, metadata);
  }

  /** A rollback is an update of the definition, and may be granted or denied per agent like one. */
  @RequiresPermission('agents.update')
  rollbackAgent(request: RollbackAgentRequest, metadata?: Metadata): Promise<Agent> {
    return this.services.forward(LifecycleSubjects.rollback, request, metadata);
  }

  @RequiresPermission('agents.deploy')
  deployAgent(request: AgentTransitionRequest, metadata?: Metadata): Promise<Agent> {
    return this.services.forward(LifecycleSubjects.deploy, request, metadata);
  }

  @RequiresPermission('agents.pause')
  pauseAgent(request: AgentTransitionRequest, metadata?: Metadata): Promise<Agent> {
    return this.services.forward(LifecycleSubjects.pause, request, metadata);
  }

  @RequiresPermission('agents.resume')
  resumeAgent(request: AgentTransitionRequest, metadata?: Metadata): Promise<Agent> {
    return this.services.forward(LifecycleSubjects.resume, request, metadata);
  }

  @RequiresPermission('agents.retire')
  retireAgent(request: AgentTransitionRequest, metadata?: Metadata): Promise<Agent> {
    return this.services.forward(LifecycleSubjects.retire, request, metadata);
  }

  @RequiresPermission('agents.watch')
  watchAgents(
    request: WatchAgentsRequest,
    metadata?: Metadata,
    call?: ServerWritableStream<WatchAgentsRequest, AgentChange>,
  ): Observable<AgentChange> {
    return this.watch.open(this.calls.of(metadata).ctx, request, call);
  }
}
