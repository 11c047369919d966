import {
  GovernanceSubjects,
  BudgetScope,
  ResourcesSubjects,
  RoutingSubjects,
  type Approval,
  type BodyOf,
  type ContextEntry,
  type SearchResponse,
  type Budget,
  type CheckAccessResponse,
  type ClaimRunBody,
  type ClaimRunReply,
  type RecordUsageBody,
  type RecordUsageReply,
  type ReleaseRunBody,
  type ReleaseRunReply,
  type RenewLeasesBody,
  type RenewLeasesReply,
  type RequestApprovalBody,
} from '@aos/contracts';
import { AosError } from '@aos/errors';
import type { RequestContext, ServiceClient } from '@aos/messaging';

/** What the runtime asks governance (the bodies are governance's, declared in @aos/contracts). */
export interface GovernancePort {
  checkAccess(ctx: RequestContext, subject: string, action: string, resource: string): Promise<CheckAccessResponse>;
  requestApproval(ctx: RequestContext, body: RequestApprovalBody): Promise<Approval>;
  /** RESOURCE_EXHAUSTED when a budget was already used up (nothing charged then). */
  recordUsage(ctx: RequestContext, body: RecordUsageBody): Promise<RecordUsageReply>;
  /**
   * The agent's budget (none when `agentId` is empty) and the tenant's that
   * are used up now (their descriptions); empty when none.
   */
  exhaustedBudgets(ctx: RequestContext, agentId: string): Promise<string[]>;
}

/** The run-claim protocol: how a runner holds an attempt (run-protocol.ts). */
export interface RunProtocolPort {
  claimRun(ctx: RequestContext, body: ClaimRunBody): Promise<ClaimRunReply>;
  renewLeases(ctx: RequestContext, body: RenewLeasesBody): Promise<RenewLeasesReply>;
  releaseRun(ctx: RequestContext, body: ReleaseRunBody): Promise<ReleaseRunReply>;
}

/**
 * What the runtime asks the resources service for an agent's built-in tools,
 * as the agent (ctx actor `agent:<id>`): the subjects the gateway forwards
 * KnowledgeService.Search and ContextService.GetContext/PutContext to.
 */
export interface ResourcesPort {
  search(ctx: RequestContext, body: BodyOf<typeof ResourcesSubjects.search>): Promise<SearchResponse>;
  getContext(ctx: RequestContext, body: BodyOf<typeof ResourcesSubjects.getContext>): Promise<ContextEntry>;
  /** Repeated only with its request id, like every write. */
  putContext(ctx: RequestContext, body: BodyOf<typeof ResourcesSubjects.putContext>): Promise<ContextEntry>;
}

/** How the used-up ones among budgets are named in a failure: "budget of agent …", "tenant budget". */
export function exhaustedOf(budgets: readonly Budget[]): string[] {
  return budgets
    .filter((b) => b.exhausted)
    .map((b) => (b.scope === BudgetScope.AGENT ? `budget of agent ${b.agentId}` : 'tenant budget'));
}

/** Tries of a request that is safe to repeat, each this long: one sent to an instance that died is sent again. */
const TRIES = 3;
const TRY_MS = 5_000;
/** A search may embed the query first (AOS_EMBEDDINGS_MODEL): each try gets longer. */
const SEARCH_TRY_MS = 10_000;

/**
 * `request` tried up to TRIES times while the answer is UNAVAILABLE (the
 * instance it reached died, or NATS was away): only for reads and for
 * commands with a request id, which a repeat cannot apply twice.
 */
async function repeatable<T>(request: (timeoutMs: number) => Promise<T>, tryMs = TRY_MS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request(tryMs);
    } catch (err) {
      if (!(err instanceof AosError && err.code === 'UNAVAILABLE') || attempt >= TRIES) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** The ports over NATS request/reply. */
export class NatsRuntimePorts implements GovernancePort, RunProtocolPort, ResourcesPort {
  constructor(private readonly client: ServiceClient) {}

  checkAccess(ctx: RequestContext, subject: string, action: string, resource: string): Promise<CheckAccessResponse> {
    return repeatable((ms) =>
      this.client.request(GovernanceSubjects.checkAccess, ctx, { subject, action, resource, minPosition: 0 }, ms),
    );
  }

  requestApproval(ctx: RequestContext, body: RequestApprovalBody): Promise<Approval> {
    return repeatable((ms) => this.client.request(GovernanceSubjects.requestApproval, ctx, body, ms));
  }

  recordUsage(ctx: RequestContext, body: RecordUsageBody): Promise<RecordUsageReply> {
    // Repeated only with its request id: without one, a repeat could charge twice.
    if (!body.requestId) return this.client.request(GovernanceSubjects.recordUsage, ctx, body);
    return repeatable((ms) => this.client.request(GovernanceSubjects.recordUsage, ctx, body, ms));
  }

  async exhaustedBudgets(ctx: RequestContext, agentId: string): Promise<string[]> {
    const targets = [
      ...(agentId ? [{ scope: BudgetScope.AGENT, agentId }] : []),
      { scope: BudgetScope.TENANT, agentId: '' },
    ];
    const budgets = await Promise.all(
      targets.map((t) =>
        repeatable((ms) => this.client.request(GovernanceSubjects.getBudget, ctx, { ...t, minPosition: 0 }, ms)).catch(
          (err: unknown) => {
            // No budget set: nothing to exhaust.
            if (err instanceof AosError && err.code === 'NOT_FOUND') return undefined;
            throw err;
          },
        ),
      ),
    );
    return exhaustedOf(budgets.filter((b) => b !== undefined));
  }

  claimRun(ctx: RequestContext, body: ClaimRunBody): Promise<ClaimRunReply> {
    return repeatable((ms) => this.client.request(RoutingSubjects.claimRun, ctx, body, ms));
  }

  renewLeases(ctx: RequestContext, body: RenewLeasesBody): Promise<RenewLeasesReply> {
    // Short: a renewal that hangs must not hold up the next (the runner fences by time anyway).
    return this.client.request(RoutingSubjects.renewLeases, ctx, body, 2_000);
  }

  search(ctx: RequestContext, body: BodyOf<typeof ResourcesSubjects.search>): Promise<SearchResponse> {
    return repeatable((ms) => this.client.request(ResourcesSubjects.search, ctx, body, ms), SEARCH_TRY_MS);
  }

  getContext(ctx: RequestContext, body: BodyOf<typeof ResourcesSubjects.getContext>): Promise<ContextEntry> {
    return repeatable((ms) => this.client.request(ResourcesSubjects.getContext, ctx, body, ms));
  }

  putContext(ctx: RequestContext, body: BodyOf<typeof ResourcesSubjects.putContext>): Promise<ContextEntry> {
    if (!body.requestId) return this.client.request(ResourcesSubjects.putContext, ctx, body);
    return repeatable((ms) => this.client.request(ResourcesSubjects.putContext, ctx, body, ms));
  }

  releaseRun(ctx: RequestContext, body: ReleaseRunBody): Promise<ReleaseRunReply> {
    // Short: it is sent while shutting down, and the lease is the fallback.
    return this.client.request(RoutingSubjects.releaseRun, ctx, body, 2_000);
  }
}
