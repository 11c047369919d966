import { foldName, GovernanceCategories, parseGovernanceEvent, type GovernanceEvent } from '@aos/contracts';
import { applyRecorded, parseRecorded, type RecordedEvent } from '@aos/event-store';
import {
  evolveApproval,
  initialApprovalState,
  type ApprovalEvent,
  type ExistingApproval,
} from './approval/approval.decider';
import { evolveBudget, initialBudgetState, type BudgetEvent, type ExistingBudget } from './budget/budget.decider';
import { evolvePolicy, initialPolicyState, type PolicyEvent, type PolicyState } from './policy/policy.decider';
import {
  evolvePrincipal,
  initialPrincipalState,
  type ExistingPrincipal,
  type PrincipalEvent,
} from './principal/principal.decider';
import { evolveTenant, initialTenantState, type TenantEvent } from './tenant/tenant.decider';

/**
 * The governance service's write model, built ONLY from the log: the state of
 * every governance aggregate with its stream revision (what commands are
 * decided against and appended after), a request index for idempotent replies,
 * and the read models the access model does not hold (approvals, budgets).
 * Principals, keys, roles, bindings and rules are queried from the
 * AccessModel of @aos/access-control instead; this keeps only what deciding needs.
 */
export interface StreamRecord<S> {
  readonly state: S;
  /** 0-based revision of the stream's last event: the expected revision of the next append. */
  readonly revision: number;
  readonly logPosition: number;
}

export interface TenantRecord extends StreamRecord<{ tenantId: string; displayName: string }> {
  readonly requestId: string;
}

export interface ApprovalRecord extends StreamRecord<ExistingApproval> {
  readonly tenantId: string;
  readonly subject: string;
  readonly action: string;
  readonly resource: string;
  readonly reason: string;
  readonly argumentsJson: string;
  readonly argumentsTruncated: boolean;
  /** The run that asked ('' when none): its end withdraws the approval. */
  readonly runId: string;
  readonly decidedBy: string;
  readonly decisionReason: string;
  readonly createTime: string;
  readonly decideTime?: string;
  readonly correlationId: string;
  /** Position of the ApprovalRequested event: the order of ListApprovals. */
  readonly createPosition: number;
}

export interface BudgetRecord extends StreamRecord<ExistingBudget> {
  readonly tenantId: string;
}

class TenantSpace {
  tenant: TenantRecord | undefined;
  readonly principals = new Map<string, StreamRecord<ExistingPrincipal>>();
  /** Case-folded name → principal id: names are unique per tenant. */
  readonly principalIdByName = new Map<string, string>();
  readonly principalIdByKey = new Map<string, string>();
  policy: StreamRecord<PolicyState> | undefined;
  /** Binding or rule id → the event that created it, so a removal's reply can still show it. */
  readonly origins = new Map<string, RecordedEvent>();
  readonly approvals = new Map<string, ApprovalRecord>();
  /** Approval ids in request order. */
  readonly approvalOrder: string[] = [];
  readonly budgets = new Map<string, BudgetRecord>();
}

export const TENANT_BUDGET_KEY = 'tenant';
export function budgetKey(scope: 'TENANT' | 'AGENT', agentId: string): string {
  return scope === 'TENANT' ? TENANT_BUDGET_KEY : `agent-${agentId}`;
}

export class GovernanceProjection {
  private readonly spaces = new Map<string, TenantSpace>();
  private applied = 0;
  /** Told about every approval that is pending after an event, so its expiry can be scheduled. */
  onApprovalPending: ((record: ApprovalRecord) => void) | undefined;

  get eventsApplied(): number {
    return this.applied;
  }

  apply(event: RecordedEvent): void {
    if (!(Object.values(GovernanceCategories) as string[]).includes(event.category)) return;
    const parsed: GovernanceEvent | undefined = parseRecorded(event, parseGovernanceEvent);
    // An event type this version does not know (written by a newer one) is skipped.
    if (!parsed) return;
    const space = this.space(event.metadata.tenantId);
    if (!applyRecorded(event, () => this.applyTo(space, event, parsed))) return;
    this.applied += 1;
  }

  tenantCount(): number {
    let n = 0;
    for (const space of this.spaces.values()) if (space.tenant) n += 1;
    return n;
  }

  tenant(tenantId: string): TenantRecord | undefined {
    return this.spaces.get(tenantId)?.tenant;
  }

  principal(tenantId: string, principalId: string): StreamRecord<ExistingPrincipal> | undefined {
    return this.spaces.get(tenantId)?.principals.get(principalId);
  }

  principalIdByName(tenantId: string, name: string): string | undefined {
    return this.spaces.get(tenantId)?.principalIdByName.get(foldName(name));
  }

  principalIdByKey(tenantId: string, keyId: string): string | undefined {
    return this.spaces.get(tenantId)?.principalIdByKey.get(keyId);
  }

  policy(tenantId: string): StreamRecord<PolicyState> | undefined {
    return this.spaces.get(tenantId)?.policy;
  }

  /** The event that created a binding or rule (kept after its removal). */
  origin(tenantId: string, id: string): RecordedEvent | undefined {
    return this.spaces.get(tenantId)?.origins.get(id);
  }

  approval(tenantId: string, approvalId: string): ApprovalRecord | undefined {
    return this.spaces.get(tenantId)?.approvals.get(approvalId);
  }

  approvals(tenantId: string): ApprovalRecord[] {
    const space = this.spaces.get(tenantId);
    return space ? space.approvalOrder.map((id) => space.approvals.get(id)!) : [];
  }

  pendingApprovals(): ApprovalRecord[] {
    return [...this.spaces.values()].flatMap((s) =>
      [...s.approvals.values()].filter((a) => a.state.status === 'PENDING'),
    );
  }

  budget(tenantId: string, key: string): BudgetRecord | undefined {
    return this.spaces.get(tenantId)?.budgets.get(key);
  }

  /** Applies one event; false when it was already applied (a redelivery). */
  private applyTo(space: TenantSpace, event: RecordedEvent, parsed: GovernanceEvent): boolean {
    const at = { revision: event.revision, logPosition: event.position };
    switch (event.category) {
      case GovernanceCategories.tenant: {
        if (space.tenant) return false;
        const state = evolveTenant(initialTenantState, parsed as TenantEvent);
        if (state.status === 'NONE') throw new Error('no tenant after TenantCreated');
        space.tenant = { state, requestId: event.metadata.requestId, ...at };
        return true;
      }
      case GovernanceCategories.principal: {
        const previous = space.principals.get(event.streamId);
        if (previous && event.revision <= previous.revision) return false;
        const data = parsed.data as { principalId: string };
        if (data.principalId !== event.streamId)
          throw new Error(`data.principalId ${data.principalId} does not match the stream`);
        const state = evolvePrincipal(previous?.state ?? initialPrincipalState, parsed as PrincipalEvent);
        if (state.status === 'NONE') throw new Error('no principal after the event');
        space.principals.set(event.streamId, { state, ...at });
        if (parsed.type === 'PrincipalCreated') space.principalIdByName.set(foldName(state.name), state.principalId);
        if (parsed.type === 'ApiKeyCreated') space.principalIdByKey.set(parsed.data.keyId, state.principalId);
        return true;
      }
      case GovernanceCategories.policy: {
        if (space.policy && event.revision <= space.policy.revision) return false;
        const state = evolvePolicy(space.policy?.state ?? initialPolicyState, parsed as PolicyEvent);
        space.policy = { state, ...at };
        if (parsed.type === 'RoleAssigned') space.origins.set(parsed.data.bindingId, event);
        if (parsed.type === 'PolicyRuleAdded') space.origins.set(parsed.data.ruleId, event);
        return true;
      }
      case GovernanceCategories.approval:
        return this.applyApproval(space, event, parsed as ApprovalEvent);
      case GovernanceCategories.budget: {
        const previous = space.budgets.get(event.streamId);
        if (previous && event.revision <= previous.revision) return false;
        const state = evolveBudget(previous?.state ?? initialBudgetState, {
          ...(parsed as BudgetEvent),
          time: event.time,
        });
        if (state.status === 'NONE') throw new Error('no budget after the event');
        space.budgets.set(event.streamId, { state, tenantId: event.metadata.tenantId, ...at });
        return true;
      }
      default:
        return false;
    }
  }

  private applyApproval(space: TenantSpace, event: RecordedEvent, parsed: ApprovalEvent): boolean {
    const previous = space.approvals.get(event.streamId);
    if (previous && event.revision <= previous.revision) return false;
    if (parsed.data.approvalId !== event.streamId)
      throw new Error(`data.approvalId ${parsed.data.approvalId} does not match the stream`);
    const state = evolveApproval(previous?.state ?? initialApprovalState, parsed);
    if (state.status === 'NONE') throw new Error('no approval after the event');
    const at = { revision: event.revision, logPosition: event.position };
    let record: ApprovalRecord;
    if (parsed.type === 'ApprovalRequested') {
      const { subject, action, resource, reason, argumentsJson, argumentsTruncated, runId } = parsed.data;
      record = {
        state,
        ...at,
        tenantId: event.metadata.tenantId,
        subject,
        action,
        resource,
        reason,
        argumentsJson,
        argumentsTruncated,
        runId,
        decidedBy: '',
        decisionReason: '',
        createTime: event.time,
        correlationId: event.metadata.correlationId,
        createPosition: event.position,
      };
      space.approvalOrder.push(parsed.data.approvalId);
    } else if (parsed.type === 'ApprovalExpired') {
      record = { ...previous!, state, ...at, decideTime: event.time };
    } else if (parsed.type === 'ApprovalWithdrawn') {
      record = { ...previous!, state, ...at, decisionReason: parsed.data.reason, decideTime: event.time };
    } else {
      record = {
        ...previous!,
        state,
        ...at,
        decidedBy: parsed.data.decidedBy,
        decisionReason: parsed.data.reason,
        decideTime: event.time,
      };
    }
    space.approvals.set(parsed.data.approvalId, record);
    if (state.status === 'PENDING') this.onApprovalPending?.(record);
    return true;
  }

  private space(tenantId: string): TenantSpace {
    let space = this.spaces.get(tenantId);
    if (!space) {
      space = new TenantSpace();
      this.spaces.set(tenantId, space);
    }
    return space;
  }
}
