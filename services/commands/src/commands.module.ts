import { Module, type DynamicModule } from '@nestjs/common';
import { PlanController } from './plan/plan.controller';
import { PlanHandler } from './plan/plan.handler';

/**
 * The root module is only wiring: the handler and what it depends on are built
 * outside Nest (see bootstrap.ts), because the read models must be caught up
 * before the first request can be answered.
 */
@Module({})
export class CommandsModule {
  static forRoot(handler: PlanHandler): DynamicModule {
    return {
      module: CommandsModule,
      controllers: [PlanController],
      providers: [{ provide: PlanHandler, useValue: handler }],
    };
  }
}
