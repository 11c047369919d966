import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { GovernanceSubjects, type Budget, type GetBudgetRequest, type SetBudgetRequest } from '@aos/contracts';
import { type ServiceRequest, Receives } from '@aos/messaging';
import { validateContext } from '../governance.request';
import { BudgetHandler, type RecordUsageReply } from './budget.handler';
import { validateGetBudget, validateRecordUsage, validateSetBudget, type RecordUsageBody } from './budget.validation';

/** NATS face of the budget methods and of the internal recordUsage command. */
@Controller()
export class BudgetController {
  constructor(@Inject(BudgetHandler) private readonly budgets: BudgetHandler) {}

  @Receives(GovernanceSubjects.setBudget)
  setBudget(@Payload() request: ServiceRequest<SetBudgetRequest>): Promise<Budget> {
    return this.budgets.set(validateContext(request?.ctx), validateSetBudget(request?.body));
  }

  @Receives(GovernanceSubjects.getBudget)
  getBudget(@Payload() request: ServiceRequest<GetBudgetRequest>): Promise<Budget> {
    return this.budgets.get(validateContext(request?.ctx), validateGetBudget(request?.body));
  }

  @Receives(GovernanceSubjects.recordUsage)
  recordUsage(@Payload() request: ServiceRequest<RecordUsageBody>): Promise<RecordUsageReply> {
    return this.budgets.recordUsage(validateContext(request?.ctx), validateRecordUsage(request?.body, randomUUID));
  }
}
