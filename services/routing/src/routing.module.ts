import { Module, type DynamicModule } from '@nestjs/common';
import { releaseOnShutdown } from '@aos/messaging';
import { TaskController } from './task/task.controller';
import { TaskHandler } from './task/task.handler';

export interface RoutingModuleDeps {
  tasks: TaskHandler;
  /** Called once Nest has stopped taking requests, on close() and on SIGTERM/SIGINT alike. */
  releaseResources: () => Promise<void>;
}

/**
 * The root module is only wiring: the handler and what it depends on are built
 * outside Nest (see bootstrap.ts), because the read model must be caught up
 * before the first request can be answered.
 */
@Module({})
export class RoutingModule {
  static forRoot(deps: RoutingModuleDeps): DynamicModule {
    return {
      module: RoutingModule,
      controllers: [TaskController],
      providers: [{ provide: TaskHandler, useValue: deps.tasks }, ...releaseOnShutdown(deps.releaseResources)],
    };
  }
}
