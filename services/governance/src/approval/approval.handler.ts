import { GovernanceCategories, type Approval, type ListApprovalsResponse } from '@aos/contracts';
import { AosError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import type { GovernanceDeps } from '../governance.deps';
import { entityIdFor } from '../governance.ids';
import { toProtoApproval } from '../governance.mapper';
import { callerSubject, encodePageToken, pageOf } from '../governance.request';
import { decideApproval, initialApprovalState, type ApprovalCommand } from './approval.decider';
import type { DecideApprovalCommand, ListApprovalsQuery, RequestApprovalCommand } from './approval.validation';

/** Approvals: requested by other services (the runtime), listed and decided by people. */
export class ApprovalHandler {
  constructor(private readonly deps: GovernanceDeps) {}

  request(ctx: RequestContext, command: RequestApprovalCommand): Promise<Approval> {
    const approvalId = entityIdFor('approval', ctx.tenantId, command.requestId);
    const expireTime = new Date(this.deps.now().getTime() + command.ttlSeconds * 1000).toISOString();
    return this.mutate(ctx, command.requestId, approvalId, ['ApprovalRequested'], {
      type: 'RequestApproval',
      approvalId,
      subject: command.subject,
      action: command.action,
      resource: command.resource,
      reason: command.reason,
      expireTime,
      argumentsJson: command.argumentsJson,
      argumentsTruncated: command.argumentsTruncated,
      runId: command.runId,
    });
  }

  decide(ctx: RequestContext, command: DecideApprovalCommand): Promise<Approval> {
    return this.mutate(ctx, command.requestId, command.approvalId, ['ApprovalGranted', 'ApprovalRejected'], {
      type: 'DecideApproval',
      approvalId: command.approvalId,
      approve: command.approve,
      decidedBy: callerSubject(ctx),
      reason: command.reason,
      now: this.deps.now().toISOString(),
    });
  }

  async list(ctx: RequestContext, query: ListApprovalsQuery): Promise<ListApprovalsResponse> {
    await this.deps.pipeline.reach(query.minPosition);
    const matching = this.deps.projection
      .approvals(ctx.tenantId)
      .filter((a) => query.state === undefined || a.state.status === query.state);
    const { page, nextAfter } = pageOf(matching, (a) => a.createPosition, query.after, query.pageSize);
    return {
      approvals: page.map(toProtoApproval),
      nextPageToken: nextAfter === undefined ? '' : encodePageToken('ListApprovals', nextAfter, query.filter),
    };
  }

  private mutate(
    ctx: RequestContext,
    requestId: string,
    approvalId: string,
    replays: string[],
    command: ApprovalCommand,
  ): Promise<Approval> {
    const { tenantId } = ctx;
    return this.deps.pipeline.handle(ctx, {
      requestId,
      replays,
      stream: { category: GovernanceCategories.approval, id: approvalId },
      creates: command.type === 'RequestApproval',
      load: () => this.deps.projection.approval(tenantId, approvalId),
      initial: initialApprovalState,
      decide: (state) => decideApproval(command, state),
      reply: () => {
        const record = this.deps.projection.approval(tenantId, approvalId);
        if (!record) throw new AosError('INTERNAL', `approval ${approvalId} is not in the read model`);
        return toProtoApproval(record);
      },
    });
  }
}
