import { Module, type DynamicModule } from '@nestjs/common';
import { releaseOnShutdown } from '@aos/messaging';
import { AgentController } from './agent/agent.controller';
import { AgentHandler } from './agent/agent.handler';

export interface LifecycleModuleDeps {
  handler: AgentHandler;
  /** Called once Nest has stopped taking requests, on close() and on SIGTERM/SIGINT alike. */
  releaseResources: () => Promise<void>;
}

/**
 * The root module is only wiring: the handler and what it depends on are built
 * outside Nest (see bootstrap.ts), because the read model must be caught up
 * before the first request can be answered.
 */
@Module({})
export class LifecycleModule {
  static forRoot(deps: LifecycleModuleDeps): DynamicModule {
    return {
      module: LifecycleModule,
      controllers: [AgentController],
      providers: [{ provide: AgentHandler, useValue: deps.handler }, ...releaseOnShutdown(deps.releaseResources)],
    };
  }
}
