import { Module, type DynamicModule } from '@nestjs/common';
import { AgentController } from './agent/agent.controller';
import { AgentHandler } from './agent/agent.handler';

/**
 * The root module is only wiring: the handler and what it depends on are built
 * outside Nest (see bootstrap.ts), because the read model must be caught up
 * before the first request can be answered.
 */
@Module({})
export class LifecycleModule {
  static forRoot(handler: AgentHandler): DynamicModule {
    return {
      module: LifecycleModule,
      controllers: [AgentController],
      providers: [{ provide: AgentHandler, useValue: handler }],
    };
  }
}
