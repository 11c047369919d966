import { GovernanceCategories, type Approval, type ListApprovalsResponse } from '@aos/contracts';
import { AosError, NotFoundError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import { lastPosition, replayOf, type GovernanceDeps } from '../governance.deps';
import { entityIdFor } from '../governance.ids';
import { toProtoApproval } from '../governance.mapper';
import { callerSubject, encodePageToken, pageOf } from '../governance.request';
import { KeyedMutex } from '@aos/keyed-mutex';
import {
  decideApproval,
  initialApprovalState,
  type ApprovalAggregateState,
  type ApprovalCommand,
} from './approval.decider';
import type { DecideApprovalCommand, ListApprovalsQuery, RequestApprovalCommand } from './approval.validation';

/** Approvals: requested by other services (the runtime), listed and decided by people. */
export class ApprovalHandler {
  private readonly requests = new KeyedMutex();

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
    await this.deps.writer.reach(query.minPosition);
    const matching = this.deps.projection
      .approvals(ctx.tenantId)
      .filter((a) => query.state === undefined || a.state.status === query.state);
    const { page, nextAfter } = pageOf(matching, (a) => a.createPosition, query.after, query.pageSize);
    return {
      approvals: page.map(toProtoApproval),
      nextPageToken: nextAfter === undefined ? '' : encodePageToken('ListApprovals', nextAfter, query.filter),
    };
  }

  private async mutate(
    ctx: RequestContext,
    requestId: string,
    approvalId: string,
    types: string[],
    command: ApprovalCommand,
  ): Promise<Approval> {
    const { writer, projection } = this.deps;
    writer.requireFollowing();
    const tenantId = ctx.tenantId;
    return this.requests.run(`${tenantId}\u0000${requestId}`, async () => {
      const replayed = replayOf(this.deps, tenantId, requestId, types, (events) =>
        events.every((e) => (e.data as { approvalId: string }).approvalId === approvalId),
      );
      let position: number;
      if (replayed) {
        position = lastPosition(replayed);
      } else {
        const result = await writer.commit<ApprovalAggregateState>({
          ctx,
          requestId,
          stream: { tenantId, category: GovernanceCategories.approval, id: approvalId },
          load: () => projection.approval(tenantId, approvalId) ?? { state: initialApprovalState, revision: -1 },
          decide: (state) => decideApproval(command, state),
          recorded: () => projection.request(tenantId, requestId) !== undefined,
        });
        const recorded = projection.request(tenantId, requestId);
        position = result?.position ?? (recorded ? lastPosition(recorded) : 0);
      }
      await writer.written(position);
      const record = projection.approval(tenantId, approvalId);
      if (!record) {
        if (command.type === 'RequestApproval')
          throw new AosError('INTERNAL', `approval ${approvalId} is not in the read model`);
        throw new NotFoundError('approval', approvalId);
      }
      return toProtoApproval(record);
    });
  }
}
