import { Controller, Inject } from '@nestjs/common';
import { Metadata, type ServerWritableStream } from '@grpc/grpc-js';
import { from, switchMap, type Observable } from 'rxjs';
import {
  AgentServiceControllerMethods,
  LifecycleSubjects,
  type Agent,
  type AgentChange,
  type AgentServiceController,
  type AgentTransitionRequest,
  type CreateAgentRequest,
  type GetAgentRequest,
  type ListAgentsRequest,
  type ListAgentsResponse,
  type UpdateAgentRequest,
  type WatchAgentsRequest,
} from '@aos/contracts';
import { ServiceClient } from '@aos/messaging';
import { AgentWatchStream } from './agent-watch.stream';
import { CallContextResolver } from './call-context.resolver';

/** aos.v1.AgentService: authenticates each call and forwards it, untouched, to lifecycle. */
@Controller()
@AgentServiceControllerMethods()
export class AgentController implements AgentServiceController {
  constructor(
    @Inject(CallContextResolver) private readonly calls: CallContextResolver,
    @Inject(ServiceClient) private readonly services: ServiceClient,
    @Inject(AgentWatchStream) private readonly watch: AgentWatchStream,
  ) {}

  createAgent(request: CreateAgentRequest, metadata?: Metadata): Promise<Agent> {
    return this.forward(LifecycleSubjects.create, request, metadata);
  }

  getAgent(request: GetAgentRequest, metadata?: Metadata): Promise<Agent> {
    return this.forward(LifecycleSubjects.get, request, metadata);
  }

  listAgents(request: ListAgentsRequest, metadata?: Metadata): Promise<ListAgentsResponse> {
    return this.forward(LifecycleSubjects.list, request, metadata);
  }

  updateAgent(request: UpdateAgentRequest, metadata?: Metadata): Promise<Agent> {
    return this.forward(LifecycleSubjects.update, request, metadata);
  }

  deployAgent(request: AgentTransitionRequest, metadata?: Metadata): Promise<Agent> {
    return this.forward(LifecycleSubjects.deploy, request, metadata);
  }

  pauseAgent(request: AgentTransitionRequest, metadata?: Metadata): Promise<Agent> {
    return this.forward(LifecycleSubjects.pause, request, metadata);
  }

  resumeAgent(request: AgentTransitionRequest, metadata?: Metadata): Promise<Agent> {
    return this.forward(LifecycleSubjects.resume, request, metadata);
  }

  retireAgent(request: AgentTransitionRequest, metadata?: Metadata): Promise<Agent> {
    return this.forward(LifecycleSubjects.retire, request, metadata);
  }

  watchAgents(
    request: WatchAgentsRequest,
    metadata?: Metadata,
    call?: ServerWritableStream<WatchAgentsRequest, AgentChange>,
  ): Observable<AgentChange> {
    return from(this.calls.resolve(metadata ?? new Metadata())).pipe(
      switchMap(({ ctx }) => this.watch.open(ctx, request, call)),
    );
  }

  private async forward<TReply>(subject: string, body: unknown, metadata: Metadata | undefined): Promise<TReply> {
    const { ctx } = await this.calls.resolve(metadata ?? new Metadata());
    return this.services.request<TReply>(subject, ctx, body);
  }
}
