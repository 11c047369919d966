import type { AccessCheck } from '@aos/access-control';
import {
  AccessDecision,
  RuleEffect,
  type CheckAccessResponse,
  type PolicyRule,
  type RoleBinding,
} from '@aos/contracts';
import type { RequestContext } from '@aos/messaging';
import { isExhausted } from '../budget/budget.decider';
import type { GovernanceDeps } from '../governance.deps';
import { toProtoBinding, toProtoRule } from '../governance.mapper';
import { budgetKey, TENANT_BUDGET_KEY } from '../governance.projection';
import type { CheckAccessQuery } from './access.validation';

const AGENT_SUBJECT = /^agent:(.+)$/;

/**
 * CheckAccess: the tenant's enforcer (the access model) decides from roles and
 * rules; an agent the rules allow is still refused while its budget, or its
 * tenant's, is used up.
 */
export class AccessHandler {
  constructor(private readonly deps: GovernanceDeps) {}

  async check(ctx: RequestContext, query: CheckAccessQuery): Promise<CheckAccessResponse> {
    await this.deps.pipeline.reach(query.minPosition);
    const tenantId = ctx.tenantId;
    const result = this.deps.access.check(tenantId, query.subject, query.action, query.resource);
    let decision = AccessDecision[result.decision];
    let explanation = result.explanation;
    const exhausted = decision === AccessDecision.DENIED ? undefined : this.exhaustedBudget(tenantId, query.subject);
    if (exhausted) {
      decision = AccessDecision.BUDGET_EXHAUSTED;
      explanation = `${explanation}; but the ${exhausted} is exhausted for this period`;
    }
    const matchedBinding = this.binding(tenantId, result.matchedBindingId);
    const matchedRule = this.rule(tenantId, result, query.action);
    return {
      decision,
      allowed: decision === AccessDecision.ALLOWED,
      explanation,
      subject: query.subject,
      ...(matchedBinding ? { matchedBinding } : {}),
      ...(matchedRule ? { matchedRule } : {}),
    };
  }

  /** Which budget of an agent subject is used up right now, if any. */
  private exhaustedBudget(tenantId: string, subject: string): string | undefined {
    const agentId = AGENT_SUBJECT.exec(subject)?.[1];
    if (!agentId) return undefined;
    const now = this.deps.now().toISOString();
    const agentBudget = this.deps.projection.budget(tenantId, budgetKey('AGENT', agentId));
    if (agentBudget && isExhausted(agentBudget.state, now)) return `budget of agent ${agentId}`;
    const tenantBudget = this.deps.projection.budget(tenantId, TENANT_BUDGET_KEY);
    if (tenantBudget && isExhausted(tenantBudget.state, now)) return 'tenant budget';
    return undefined;
  }

  private binding(tenantId: string, bindingId: string | undefined): RoleBinding | undefined {
    if (!bindingId) return undefined;
    const view = this.deps.access.bindings(tenantId).find((b) => b.id === bindingId);
    return view ? toProtoBinding(view) : undefined;
  }

  /**
   * The deciding rule: a policy rule by id, or, when a role's permission
   * decided, that permission shown as a "role:<name>" rule (the proto's
   * convention), since roles are not stored as rules.
   */
  private rule(tenantId: string, result: AccessCheck, action: string): PolicyRule | undefined {
    if (result.matchedRuleId) {
      const view = this.deps.access.rules(tenantId).find((r) => r.id === result.matchedRuleId);
      if (view) return toProtoRule(view);
    }
    if (!result.matchedRole) return undefined;
    return {
      id: '',
      tenantId,
      subject: `role:${result.matchedRole}`,
      action: result.matchedPermission ?? action,
      resource: '*',
      effect: RuleEffect.ALLOW,
      requiresApproval: false,
      createdBy: '',
      logPosition: 0,
    };
  }
}
