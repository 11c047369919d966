import { GovernanceCategories, type Budget } from '@aos/contracts';
import { AosError, NotFoundError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import type { GovernanceDeps } from '../governance.deps';
import { toProtoBudget } from '../governance.mapper';
import { budgetKey, TENANT_BUDGET_KEY, type BudgetRecord } from '../governance.projection';
import { decideBudget, initialBudgetState, isExhausted, type BudgetCommand, type BudgetState } from './budget.decider';
import type { BudgetTarget, GetBudgetQuery, RecordUsageCommand, SetBudgetCommand } from './budget.validation';

/** The reply of `GovernanceSubjects.recordUsage`: the budgets charged, as they are after the usage. */
export interface RecordUsageReply {
  budgets: Budget[];
}

/** Budgets per tenant and per agent, and the usage charged against them. */
export class BudgetHandler {
  constructor(private readonly deps: GovernanceDeps) {}

  set(ctx: RequestContext, command: SetBudgetCommand): Promise<Budget> {
    const { tenantId } = ctx;
    const key = budgetKey(command.scope, command.agentId);
    return this.deps.pipeline.handle(ctx, {
      requestId: command.requestId,
      replays: ['BudgetSet'],
      ...this.budgetStream(tenantId, key),
      creates: true,
      decide: (state) =>
        decideBudget(
          {
            type: 'SetBudget',
            scope: command.scope,
            agentId: command.agentId,
            period: command.period,
            tokenLimit: command.tokenLimit,
            costLimitMicros: command.costLimitMicros,
          },
          state,
        ),
      reply: () => {
        const record = this.deps.projection.budget(tenantId, key);
        if (!record) throw new AosError('INTERNAL', `budget ${key} was recorded but is not in the read model`);
        return toProtoBudget(record, this.deps.now().toISOString());
      },
    });
  }

  async get(ctx: RequestContext, query: GetBudgetQuery): Promise<Budget> {
    await this.deps.pipeline.reach(query.minPosition);
    const record = this.deps.projection.budget(ctx.tenantId, budgetKey(query.scope, query.agentId));
    if (!record) throw new NotFoundError('budget', describe(query));
    return toProtoBudget(record, this.deps.now().toISOString());
  }

  /**
   * Charges usage to the agent's budget and the tenant's, where they exist.
   * When either is ALREADY exhausted nothing is recorded and the caller gets
   * RESOURCE_EXHAUSTED. The two budgets are two streams, so a concurrent
   * charge that exhausts the tenant budget between the two appends can leave
   * the usage on the agent budget only.
   */
  recordUsage(ctx: RequestContext, command: RecordUsageCommand): Promise<RecordUsageReply> {
    const { tenantId } = ctx;
    const request = {
      requestId: command.requestId,
      replays: ['UsageRecorded'],
      reply: () => this.usageReply(tenantId, this.chargedBudgets(tenantId, command.agentId)),
    };
    return this.deps.pipeline.handleRequest(ctx, request, async (tx) => {
      const now = this.deps.now().toISOString();
      const charged = this.chargedBudgets(tenantId, command.agentId);
      for (const { key, record } of charged) {
        if (isExhausted(record.state, now)) {
          throw new AosError(
            'RESOURCE_EXHAUSTED',
            `the ${describeKey(key)} is exhausted for this period; usage not recorded`,
          );
        }
      }
      const usage: BudgetCommand = {
        type: 'RecordUsage',
        tokens: command.tokens,
        costMicros: command.costMicros,
        source: command.source,
        now,
      };
      for (const { key } of charged) {
        await tx.commit({ ...this.budgetStream(tenantId, key), decide: (state) => decideBudget(usage, state) });
      }
    });
  }

  /** The budgets some usage of `agentId` counts against: the agent's, then the tenant's. */
  private chargedBudgets(tenantId: string, agentId: string): { key: string; record: BudgetRecord }[] {
    const keys = agentId ? [budgetKey('AGENT', agentId), TENANT_BUDGET_KEY] : [TENANT_BUDGET_KEY];
    return keys.flatMap((key) => {
      const record = this.deps.projection.budget(tenantId, key);
      return record ? [{ key, record }] : [];
    });
  }

  private usageReply(tenantId: string, charged: readonly { key: string }[]): RecordUsageReply {
    const now = this.deps.now().toISOString();
    return {
      budgets: charged.flatMap(({ key }) => {
        const record = this.deps.projection.budget(tenantId, key);
        return record ? [toProtoBudget(record, now)] : [];
      }),
    };
  }

  private budgetStream(tenantId: string, key: string) {
    return {
      stream: { category: GovernanceCategories.budget, id: key },
      load: () => this.deps.projection.budget(tenantId, key),
      initial: initialBudgetState as BudgetState,
    };
  }
}

/** Which budget a query names, for messages. */
export function describe(target: BudgetTarget): string {
  return target.scope === 'TENANT' ? 'tenant' : `agent ${target.agentId}`;
}

function describeKey(key: string): string {
  return key === TENANT_BUDGET_KEY ? 'tenant budget' : `budget of ${key.replace(/^agent-/, 'agent ')}`;
}
