import {
  GovernanceSubjects,
  BudgetScope,
  RoutingSubjects,
  type Approval,
  type AwaitApprovalBody,
  type Budget,
  type CheckAccessResponse,
  type FinishRunBody,
  type ReleaseRunBody,
  type RenewLeasesBody,
  type RenewLeasesReply,
  type ResolveApprovalBody,
  type RunTransitionReply,
  type StartRunBody,
  type StartRunReply,
} from '@aos/contracts';
import { AosError } from '@aos/errors';
import type { RequestContext, ServiceClient } from '@aos/messaging';

/** The body of GovernanceSubjects.requestApproval (its owner, governance, defines it; repeated here, not imported across services). */
export interface RequestApprovalBody {
  subject: string;
  action: string;
  resource: string;
  reason: string;
  ttlSeconds?: number;
  requestId: string;
}

/** The body of GovernanceSubjects.recordUsage. */
export interface RecordUsageBody {
  agentId: string;
  tokens: number;
  costMicros: number;
  source: string;
  requestId: string;
}

/** What the runtime asks governance. */
export interface GovernancePort {
  checkAccess(ctx: RequestContext, subject: string, action: string, resource: string): Promise<CheckAccessResponse>;
  requestApproval(ctx: RequestContext, body: RequestApprovalBody): Promise<Approval>;
  /** RESOURCE_EXHAUSTED when a budget was already used up (nothing charged then). */
  recordUsage(ctx: RequestContext, body: RecordUsageBody): Promise<{ budgets: Budget[] }>;
  /** The agent's budget and the tenant's that are used up now (their descriptions); empty when none. */
  exhaustedBudgets(ctx: RequestContext, agentId: string): Promise<string[]>;
}

/** The internal run protocol: what a runner tells routing (run-protocol.ts). */
export interface RunProtocolPort {
  startRun(ctx: RequestContext, body: StartRunBody): Promise<StartRunReply>;
  renewLeases(ctx: RequestContext, body: RenewLeasesBody): Promise<RenewLeasesReply>;
  awaitApproval(ctx: RequestContext, body: AwaitApprovalBody): Promise<RunTransitionReply>;
  resolveApproval(ctx: RequestContext, body: ResolveApprovalBody): Promise<RunTransitionReply>;
  finishRun(ctx: RequestContext, body: FinishRunBody): Promise<RunTransitionReply>;
  releaseRun(ctx: RequestContext, body: ReleaseRunBody): Promise<RunTransitionReply>;
}

/** How the used-up ones among budgets are named in a failure: "budget of agent …", "tenant budget". */
export function exhaustedOf(budgets: readonly Budget[]): string[] {
  return budgets
    .filter((b) => b.exhausted)
    .map((b) => (b.scope === BudgetScope.AGENT ? `budget of agent ${b.agentId}` : 'tenant budget'));
}

/** Both ports over NATS request/reply. */
export class NatsRuntimePorts implements GovernancePort, RunProtocolPort {
  constructor(private readonly client: ServiceClient) {}

  checkAccess(ctx: RequestContext, subject: string, action: string, resource: string): Promise<CheckAccessResponse> {
    return this.client.request(GovernanceSubjects.checkAccess, ctx, { subject, action, resource, minPosition: 0 });
  }

  requestApproval(ctx: RequestContext, body: RequestApprovalBody): Promise<Approval> {
    return this.client.request(GovernanceSubjects.requestApproval, ctx, body);
  }

  recordUsage(ctx: RequestContext, body: RecordUsageBody): Promise<{ budgets: Budget[] }> {
    return this.client.request(GovernanceSubjects.recordUsage, ctx, body);
  }

  async exhaustedBudgets(ctx: RequestContext, agentId: string): Promise<string[]> {
    const targets = [
      { scope: 'AGENT', agentId },
      { scope: 'TENANT', agentId: '' },
    ];
    const budgets = await Promise.all(
      targets.map((t) =>
        this.client
          .request<Budget>(GovernanceSubjects.getBudget, ctx, { ...t, minPosition: 0 })
          .catch((err: unknown) => {
            // No budget set: nothing to exhaust.
            if (err instanceof AosError && err.code === 'NOT_FOUND') return undefined;
            throw err;
          }),
      ),
    );
    return exhaustedOf(budgets.filter((b) => b !== undefined));
  }

  startRun(ctx: RequestContext, body: StartRunBody): Promise<StartRunReply> {
    return this.client.request(RoutingSubjects.startRun, ctx, body);
  }

  renewLeases(ctx: RequestContext, body: RenewLeasesBody): Promise<RenewLeasesReply> {
    // Short: a renewal that hangs must not hold up the next (the runner fences by time anyway).
    return this.client.request(RoutingSubjects.renewLeases, ctx, body, 2_000);
  }

  awaitApproval(ctx: RequestContext, body: AwaitApprovalBody): Promise<RunTransitionReply> {
    return this.client.request(RoutingSubjects.awaitApproval, ctx, body);
  }

  resolveApproval(ctx: RequestContext, body: ResolveApprovalBody): Promise<RunTransitionReply> {
    return this.client.request(RoutingSubjects.resolveApproval, ctx, body);
  }

  finishRun(ctx: RequestContext, body: FinishRunBody): Promise<RunTransitionReply> {
    return this.client.request(RoutingSubjects.finishRun, ctx, body);
  }

  releaseRun(ctx: RequestContext, body: ReleaseRunBody): Promise<RunTransitionReply> {
    // Short: it is sent while shutting down, and the lease is the fallback.
    return this.client.request(RoutingSubjects.releaseRun, ctx, body, 2_000);
  }
}
