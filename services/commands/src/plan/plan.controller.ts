import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  CommandSubjects,
  type ExecuteRequest,
  type Execution,
  type GetPlanRequest,
  type InterpretRequest,
  type Plan,
} from '@aos/contracts';
import { Receives, type ServiceRequest } from '@aos/messaging';
import { PlanHandler } from './plan.handler';
import { validateContext, validateExecute, validateGetPlan, validateInterpret } from './plan.validation';

/** The NATS face of CommandService: validates and forwards; the handler does the work. */
@Controller()
export class PlanController {
  constructor(@Inject(PlanHandler) private readonly plans: PlanHandler) {}

  @Receives(CommandSubjects.interpret)
  interpret(@Payload() request: ServiceRequest<InterpretRequest>): Promise<Plan> {
    return this.plans.interpret(validateContext(request?.ctx), validateInterpret(request?.body));
  }

  @Receives(CommandSubjects.execute)
  execute(@Payload() request: ServiceRequest<ExecuteRequest>): Promise<Execution> {
    return this.plans.execute(validateContext(request?.ctx), validateExecute(request?.body));
  }

  @Receives(CommandSubjects.getPlan)
  getPlan(@Payload() request: ServiceRequest<GetPlanRequest>): Promise<Plan> {
    return this.plans.getPlan(validateContext(request?.ctx), validateGetPlan(request?.body));
  }
}
