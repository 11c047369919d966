import { Module, type DynamicModule } from '@nestjs/common';
import { RunClaims } from './task/run.claims';
import { TaskController } from './task/task.controller';
import { TaskHandler } from './task/task.handler';

/**
 * The root module is only wiring: the handlers and what they depend on are
 * built outside Nest (see bootstrap.ts), because the model must be caught up
 * before the first request can be answered.
 */
@Module({})
export class RoutingModule {
  static forRoot(tasks: TaskHandler, claims: RunClaims): DynamicModule {
    return {
      module: RoutingModule,
      controllers: [TaskController],
      providers: [
        { provide: TaskHandler, useValue: tasks },
        { provide: RunClaims, useValue: claims },
      ],
    };
  }
}
