import { GovernanceCategories, type Budget } from '@aos/contracts';
import { AosError, NotFoundError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import { lastPosition, replayOf, type GovernanceDeps } from '../governance.deps';
import { toProtoBudget } from '../governance.mapper';
import { budgetKey, TENANT_BUDGET_KEY, type BudgetRecord } from '../governance.projection';
import { KeyedMutex } from '@aos/keyed-mutex';
import { decideBudget, initialBudgetState, isExhausted, type BudgetCommand, type BudgetState } from './budget.decider';
import type { BudgetTarget, GetBudgetQuery, RecordUsageCommand, SetBudgetCommand } from './budget.validation';

/** The reply of `GovernanceSubjects.recordUsage`: the budgets charged, as they are after the usage. */
export interface RecordUsageReply {
  budgets: Budget[];
}

/** Budgets per tenant and per agent, and the usage charged against them. */
export class BudgetHandler {
  private readonly requests = new KeyedMutex();

  constructor(private readonly deps: GovernanceDeps) {}

  async set(ctx: RequestContext, command: SetBudgetCommand): Promise<Budget> {
    const { writer, projection } = this.deps;
    writer.requireFollowing();
    const tenantId = ctx.tenantId;
    const key = budgetKey(command.scope, command.agentId);
    return this.requests.run(`${tenantId}\u0000${command.requestId}`, async () => {
      const replayed = replayOf(this.deps, tenantId, command.requestId, ['BudgetSet'], (events) =>
        events.every((e) => e.streamId === key),
      );
      const position = replayed
        ? lastPosition(replayed)
        : await this.commit(ctx, command.requestId, key, 0, {
            type: 'SetBudget',
            scope: command.scope,
            agentId: command.agentId,
            period: command.period,
            tokenLimit: command.tokenLimit,
            costLimitMicros: command.costLimitMicros,
          });
      await writer.written(position);
      const record = projection.budget(tenantId, key);
      if (!record) throw new AosError('INTERNAL', `budget ${key} was recorded but is not in the read model`);
      return toProtoBudget(record, this.deps.now().toISOString());
    });
  }

  async get(ctx: RequestContext, query: GetBudgetQuery): Promise<Budget> {
    await this.deps.writer.reach(query.minPosition);
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
  async recordUsage(ctx: RequestContext, command: RecordUsageCommand): Promise<RecordUsageReply> {
    const { writer } = this.deps;
    writer.requireFollowing();
    const tenantId = ctx.tenantId;
    return this.requests.run(`${tenantId}\u0000${command.requestId}`, async () => {
      const replayed = replayOf(this.deps, tenantId, command.requestId, ['UsageRecorded']);
      const keys = this.chargedBudgets(tenantId, command.agentId).map((r) => r.key);
      if (replayed) {
        await writer.written(lastPosition(replayed));
        return this.usageReply(tenantId, keys);
      }
      const now = this.deps.now().toISOString();
      for (const { key, record } of this.chargedBudgets(tenantId, command.agentId)) {
        if (isExhausted(record.state, now)) {
          throw new AosError(
            'RESOURCE_EXHAUSTED',
            `the ${describeKey(key)} is exhausted for this period; usage not recorded`,
          );
        }
      }
      let position = 0;
      let index = 0;
      for (const key of keys) {
        const usage: BudgetCommand = {
          type: 'RecordUsage',
          tokens: command.tokens,
          costMicros: command.costMicros,
          source: command.source,
          now,
        };
        position = Math.max(position, await this.commit(ctx, command.requestId, key, index++, usage));
      }
      await writer.written(position);
      return this.usageReply(tenantId, keys);
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

  private usageReply(tenantId: string, keys: string[]): RecordUsageReply {
    const now = this.deps.now().toISOString();
    return {
      budgets: keys.flatMap((key) => {
        const record = this.deps.projection.budget(tenantId, key);
        return record ? [toProtoBudget(record, now)] : [];
      }),
    };
  }

  /** Appends to one budget stream; the position reached (that of the current state when nothing changed). */
  private async commit(
    ctx: RequestContext,
    requestId: string,
    key: string,
    firstIndex: number,
    command: BudgetCommand,
  ): Promise<number> {
    const { writer, projection } = this.deps;
    const tenantId = ctx.tenantId;
    const result = await writer.commit<BudgetState>({
      ctx,
      requestId,
      stream: { tenantId, category: GovernanceCategories.budget, id: key },
      load: () => projection.budget(tenantId, key) ?? { state: initialBudgetState, revision: -1 },
      decide: (state) => decideBudget(command, state),
      firstIndex,
    });
    return result?.position ?? projection.budget(tenantId, key)?.logPosition ?? 0;
  }
}

/** Which budget a query names, for messages. */
export function describe(target: BudgetTarget): string {
  return target.scope === 'TENANT' ? 'tenant' : `agent ${target.agentId}`;
}

function describeKey(key: string): string {
  return key === TENANT_BUDGET_KEY ? 'tenant budget' : `budget of ${key.replace(/^agent-/, 'agent ')}`;
}
