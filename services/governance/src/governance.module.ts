import { Module, type DynamicModule } from '@nestjs/common';
import { AccessController } from './access/access.controller';
import { AccessHandler } from './access/access.handler';
import { ApprovalController } from './approval/approval.controller';
import { ApprovalHandler } from './approval/approval.handler';
import { BudgetController } from './budget/budget.controller';
import { BudgetHandler } from './budget/budget.handler';
import { PolicyController } from './policy/policy.controller';
import { PolicyHandler } from './policy/policy.handler';
import { PrincipalController } from './principal/principal.controller';
import { PrincipalHandler } from './principal/principal.handler';
import { TenantController } from './tenant/tenant.controller';
import { TenantHandler } from './tenant/tenant.handler';

export interface GovernanceHandlers {
  tenants: TenantHandler;
  principals: PrincipalHandler;
  policy: PolicyHandler;
  access: AccessHandler;
  approvals: ApprovalHandler;
  budgets: BudgetHandler;
}

/**
 * Only wiring: the handlers are built outside Nest (bootstrap.ts), because the
 * models must be caught up, and the bootstrap admin recorded, before the first
 * request is answered.
 */
@Module({})
export class GovernanceModule {
  static forRoot(handlers: GovernanceHandlers): DynamicModule {
    return {
      module: GovernanceModule,
      controllers: [
        TenantController,
        PrincipalController,
        PolicyController,
        AccessController,
        ApprovalController,
        BudgetController,
      ],
      providers: [
        { provide: TenantHandler, useValue: handlers.tenants },
        { provide: PrincipalHandler, useValue: handlers.principals },
        { provide: PolicyHandler, useValue: handlers.policy },
        { provide: AccessHandler, useValue: handlers.access },
        { provide: ApprovalHandler, useValue: handlers.approvals },
        { provide: BudgetHandler, useValue: handlers.budgets },
      ],
    };
  }
}
