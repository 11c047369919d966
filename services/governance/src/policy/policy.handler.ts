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
import { lastPosition, replayOf, type GovernanceDeps } from '../governance.deps';
import { entityIdFor } from '../governance.ids';
import { bindingFromOrigin, ruleFromOrigin, toProtoBinding, toProtoRole, toProtoRule } from '../governance.mapper';
import { KeyedMutex } from '@aos/keyed-mutex';
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
  private readonly requests = new KeyedMutex();

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
      return { ...binding, logPosition: lastPosition(events) };
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
      return { ...rule, logPosition: lastPosition(events) };
    });
  }

  async listRoles(ctx: RequestContext): Promise<ListRolesResponse> {
    await this.deps.writer.reach(0);
    return { roles: this.deps.access.roles(ctx.tenantId).map(toProtoRole) };
  }

  async listBindings(ctx: RequestContext, query: PolicyListQuery): Promise<ListRoleBindingsResponse> {
    await this.deps.writer.reach(query.minPosition);
    return { bindings: this.deps.access.bindings(ctx.tenantId, query.subject).map(toProtoBinding) };
  }

  async listRules(ctx: RequestContext, query: PolicyListQuery): Promise<ListPolicyRulesResponse> {
    await this.deps.writer.reach(query.minPosition);
    return { rules: this.deps.access.rules(ctx.tenantId, query.subject).map(toProtoRule) };
  }

  /**
   * Replays a retried request, or decides and appends it; `reply` builds the
   * answer from the request's events (empty when the change was a no-op).
   */
  private async mutate<T>(
    ctx: RequestContext,
    mutation: PolicyMutation,
    reply: (events: readonly RecordedEvent[]) => Promise<T>,
  ): Promise<T> {
    const { writer, projection } = this.deps;
    writer.requireFollowing();
    const tenantId = ctx.tenantId;
    return this.requests.run(`${tenantId}\u0000${mutation.requestId}`, async () => {
      const replayed = replayOf(this.deps, tenantId, mutation.requestId, [EVENT_OF[mutation.type]]);
      if (replayed) {
        await writer.written(lastPosition(replayed));
        return reply(replayed);
      }
      const command = this.toCommand(tenantId, mutation);
      const result = await writer.commit({
        ctx,
        requestId: mutation.requestId,
        stream: { tenantId, category: GovernanceCategories.policy, id: tenantId },
        load: () => projection.policy(tenantId) ?? { state: initialPolicyState, revision: -1 },
        decide: (state) => decidePolicy(command, state),
        recorded: () => projection.request(tenantId, mutation.requestId) !== undefined,
      });
      const recorded = projection.request(tenantId, mutation.requestId);
      await writer.written(result?.position ?? (recorded ? lastPosition(recorded) : 0));
      return reply(projection.request(tenantId, mutation.requestId) ?? []);
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

function bindingIdOf(event: RecordedEvent): string {
  return (event.data as { bindingId: string }).bindingId;
}

function ruleIdOf(event: RecordedEvent): string {
  return (event.data as { ruleId: string }).ruleId;
}
