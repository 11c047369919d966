import {
  GovernanceCategories,
  type ListPolicyRulesResponse,
  type ListRoleBindingsResponse,
  type ListRolesResponse,
  type PolicyRule,
  type Role,
  type RoleBinding,
} from '@aos/contracts';
import { AosError, NotFoundError } from '@aos/errors';
import type { RecordedEvent } from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import { lastPositionOf, type RecordedStep } from '@aos/command-pipeline';
import type { GovernanceDeps } from '../governance.deps';
import { entityIdFor } from '../governance.ids';
import { bindingFromOrigin, ruleFromOrigin, toProtoBinding, toProtoRole, toProtoRule } from '../governance.mapper';
import { decidePolicy, initialPolicyState, type PolicyCommand } from './policy.decider';
import type { PolicyListQuery, PolicyMutation } from './policy.validation';

const EVENT_OF: Record<PolicyMutation['type'], string> = {
  DefineRole: 'RoleDefined',
  AssignRole: 'RoleAssigned',
  RevokeRole: 'RoleRevoked',
  AddPolicyRule: 'PolicyRuleAdded',
  RemovePolicyRule: 'PolicyRuleRemoved',
};

/**
 * Roles, role bindings and policy rules: all changes of a tenant go to its one
 * policy stream, decided against its state at a known revision.
 */
export class PolicyHandler {
  constructor(private readonly deps: GovernanceDeps) {}

  defineRole(ctx: RequestContext, mutation: PolicyMutation): Promise<Role> {
    return this.mutate(ctx, mutation, async () => {
      const name = (mutation as { role: string }).role;
      const role = this.deps.access.roles(ctx.tenantId).find((r) => r.name === name);
      if (!role) throw new AosError('INTERNAL', `role ${name} was recorded but is not in the read model`);
      return toProtoRole(role);
    });
  }

  assignRole(ctx: RequestContext, mutation: PolicyMutation): Promise<RoleBinding> {
    return this.mutate(ctx, mutation, async (events) =>
      bindingFromOrigin(this.origin(ctx.tenantId, bindingIdOf(events[0]!))),
    );
  }

  revokeRole(ctx: RequestContext, mutation: PolicyMutation): Promise<RoleBinding> {
    return this.mutate(ctx, mutation, async (events) => {
      const binding = bindingFromOrigin(this.origin(ctx.tenantId, bindingIdOf(events[0]!)));
      return { ...binding, logPosition: lastPositionOf(events) };
    });
  }

  addRule(ctx: RequestContext, mutation: PolicyMutation): Promise<PolicyRule> {
    return this.mutate(ctx, mutation, async (events) =>
      ruleFromOrigin(this.origin(ctx.tenantId, ruleIdOf(events[0]!))),
    );
  }

  removeRule(ctx: RequestContext, mutation: PolicyMutation): Promise<PolicyRule> {
    return this.mutate(ctx, mutation, async (events) => {
      const rule = ruleFromOrigin(this.origin(ctx.tenantId, ruleIdOf(events[0]!)));
      return { ...rule, logPosition: lastPositionOf(events) };
    });
  }

  async listRoles(ctx: RequestContext): Promise<ListRolesResponse> {
    await this.deps.pipeline.reach(0);
    return { roles: this.deps.access.roles(ctx.tenantId).map(toProtoRole) };
  }

  async listBindings(ctx: RequestContext, query: PolicyListQuery): Promise<ListRoleBindingsResponse> {
    await this.deps.pipeline.reach(query.minPosition);
    return { bindings: this.deps.access.bindings(ctx.tenantId, query.subject).map(toProtoBinding) };
  }

  async listRules(ctx: RequestContext, query: PolicyListQuery): Promise<ListPolicyRulesResponse> {
    await this.deps.pipeline.reach(query.minPosition);
    return { rules: this.deps.access.rules(ctx.tenantId, query.subject).map(toProtoRule) };
  }

  /** One change of the tenant's policy stream; `reply` builds the answer from the request's recorded events. */
  private mutate<T>(
    ctx: RequestContext,
    mutation: PolicyMutation,
    reply: (events: readonly RecordedStep[]) => Promise<T>,
  ): Promise<T> {
    const { tenantId } = ctx;
    return this.deps.pipeline.handle(ctx, {
      requestId: mutation.requestId,
      replays: [EVENT_OF[mutation.type]],
      stream: { category: GovernanceCategories.policy, id: tenantId },
      load: () => this.deps.projection.policy(tenantId),
      // Every tenant has a policy stream from its creation; one not written yet starts empty.
      creates: true,
      initial: initialPolicyState,
      decide: (state) => decidePolicy(this.toCommand(tenantId, mutation), state),
      reply: (done) => reply(done.recorded),
    });
  }

  private toCommand(tenantId: string, mutation: PolicyMutation): PolicyCommand {
    const { requestId, ...rest } = mutation;
    if (rest.type === 'AssignRole') {
      this.requireLocalPrincipal(tenantId, rest.subject);
      return { ...rest, bindingId: entityIdFor('binding', tenantId, requestId) };
    }
    if (rest.type === 'AddPolicyRule') {
      this.requireLocalPrincipal(tenantId, rest.subject);
      return { ...rest, ruleId: entityIdFor('rule', tenantId, requestId) };
    }
    return rest;
  }

  /** A user or service subject names a principal, which must be one of this tenant's. */
  private requireLocalPrincipal(tenantId: string, subject: string): void {
    const match = /^(user|service):(.+)$/.exec(subject);
    if (!match || match[2]!.startsWith('oidc:')) return;
    const principal = this.deps.projection.principal(tenantId, match[2]!);
    if (!principal || principal.state.kind.toLowerCase() !== match[1]) throw new NotFoundError('principal', match[2]!);
  }

  private origin(tenantId: string, id: string): RecordedEvent {
    const event = this.deps.projection.origin(tenantId, id);
    if (!event) throw new AosError('INTERNAL', `${id} was recorded but is not in the read model`);
    return event;
  }
}

function bindingIdOf(event: RecordedStep): string {
  return (event.data as { bindingId: string }).bindingId;
}

function ruleIdOf(event: RecordedStep): string {
  return (event.data as { ruleId: string }).ruleId;
}
