import { generateApiKey, hashApiKey } from '@aos/access-control';
import { GovernanceCategories, type CreateTenantResponse } from '@aos/contracts';
import { AlreadyExistsError, AosError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import type { GovernanceDeps } from '../governance.deps';
import { entityIdFor } from '../governance.ids';
import { toProtoApiKey, toProtoPrincipal, toProtoTenant } from '../governance.mapper';
import { decidePolicy, findBinding, initialPolicyState } from '../policy/policy.decider';
import { decidePrincipal, initialPrincipalState, type PrincipalState } from '../principal/principal.decider';
import { principalNames } from '../principal/principal.handler';
import { decideTenant, initialTenantState } from './tenant.decider';

export interface TenantProvision {
  tenantId: string;
  displayName: string;
  adminName: string;
  /** Only the bootstrap admin is a system administrator; admins of created tenants are not. */
  systemAdmin: boolean;
  requestId: string;
  /** The admin key to record (the bootstrap key); generated when absent. */
  adminKey?: string;
}

/**
 * Creates a tenant with its first admin: TenantCreated, the tenant-admin
 * binding, then the admin principal with its API key. Three streams cannot be
 * written atomically, so the request is resumable: each step has fixed event
 * indexes and decides nothing for what the log already has, so a retry with
 * the same request_id (or a restart after a crash) completes what an earlier
 * attempt began. The tenant stream is written first (`no_stream`), so it is
 * the lock: a concurrent request for the same id fails before it writes
 * anything into the tenant. The key comes last, so its secret can be handed
 * out by the attempt that records it: the secret is only in that reply, never
 * in the log nor in memory afterwards.
 */
export async function provisionTenant(
  deps: GovernanceDeps,
  ctx: RequestContext,
  request: TenantProvision,
): Promise<CreateTenantResponse> {
  const { tenantId, requestId } = request;
  const { projection } = deps;
  const existing = projection.tenant(tenantId);
  if (existing && existing.requestId !== requestId) throw new AlreadyExistsError('tenant', 'tenant.id', tenantId);
  const adminId = entityIdFor('principal', tenantId, requestId);
  const bindingId = entityIdFor('binding', tenantId, requestId);
  const keyId = entityIdFor('key', tenantId, requestId);
  const adminSubject = `user:${adminId}`;
  let secret = '';
  let secretPrefix = '';

  const reply = (): CreateTenantResponse => {
    const tenant = deps.access.tenants().find((t) => t.id === tenantId);
    const admin = deps.access.principal(tenantId, adminId);
    const apiKey = deps.access.apiKey(tenantId, keyId);
    if (!tenant || !admin || !apiKey) {
      throw new AosError('INTERNAL', `tenant ${tenantId} was recorded but is not complete in the read model`);
    }
    return {
      tenant: toProtoTenant(tenant),
      admin: toProtoPrincipal(admin),
      adminApiKey: toProtoApiKey(apiKey),
      // Only with the key it belongs to (see PrincipalHandler.createApiKey: another attempt's key may be the one recorded).
      adminApiKeySecret: secret !== '' && apiKey.prefix === secretPrefix ? secret : '',
    };
  };

  // The tenant's own streams are written as the tenant, whoever asks.
  const writeCtx: RequestContext = { ...ctx, tenantId };
  const replays = ['TenantCreated', 'RoleAssigned', 'PrincipalCreated', 'ApiKeyCreated'];
  return deps.pipeline.handleRequest(writeCtx, { requestId, replays, resume: true, reply }, async (tx) => {
    await tx.commit({
      stream: { category: GovernanceCategories.tenant, id: tenantId },
      firstIndex: 0,
      load: () => {
        const tenant = projection.tenant(tenantId);
        return tenant && { state: { status: 'CREATED' as const, ...tenant.state }, revision: tenant.revision };
      },
      initial: initialTenantState,
      decide: (state) => {
        // Resumed: the tenant is ours already.
        if (state.status !== 'NONE' && projection.tenant(tenantId)?.requestId === requestId) return [];
        return decideTenant({ type: 'CreateTenant', tenantId, displayName: request.displayName }, state);
      },
    });

    await tx.commit({
      stream: { category: GovernanceCategories.policy, id: tenantId },
      firstIndex: 1,
      load: () => projection.policy(tenantId),
      initial: initialPolicyState,
      decide: (state) =>
        findBinding(state, adminSubject, 'tenant-admin')
          ? []
          : decidePolicy({ type: 'AssignRole', bindingId, subject: adminSubject, role: 'tenant-admin' }, state),
    });

    await tx.commit({
      stream: { category: GovernanceCategories.principal, id: adminId },
      firstIndex: 2,
      creates: true,
      load: () => projection.principal(tenantId, adminId),
      initial: initialPrincipalState,
      decide: (state) =>
        state.status !== 'NONE'
          ? []
          : decidePrincipal(
              {
                type: 'CreatePrincipal',
                principalId: adminId,
                kind: 'USER',
                name: request.adminName,
                oidcSubject: '',
                systemAdmin: request.systemAdmin,
                nameHolder: projection.principalIdByName(tenantId, request.adminName),
                // A tenant's first admin signs in with an API key, not OIDC.
                oidcSubjectHolder: undefined,
              },
              state,
            ),
      names: principalNames,
    });

    // The key is a step of its own (index 3, the event id it always had): an attempt that finds the admin
    // recorded without it (another attempt cut short, or still writing it) records it, and when both do,
    // the log stores the one event.
    if (hasKey(projection.principal(tenantId, adminId)?.state, keyId)) return;
    const key = request.adminKey ?? generateApiKey().full;
    const prefix = /^aos_([a-z0-9]{4,16})_/.exec(key)?.[1];
    if (!prefix) throw new AosError('INTERNAL', 'the admin key is not aos_<prefix>_<secret>');
    const hash = await hashApiKey(key);
    const created = await tx.commit({
      stream: { category: GovernanceCategories.principal, id: adminId },
      firstIndex: 3,
      load: () => projection.principal(tenantId, adminId),
      initial: initialPrincipalState,
      decide: (state) =>
        hasKey(state, keyId)
          ? []
          : decidePrincipal(
              {
                type: 'CreateApiKey',
                principalId: adminId,
                keyId,
                prefix,
                hash,
                description: 'first admin key, created with the tenant',
                expireTime: null,
                now: deps.now().toISOString(),
              },
              state,
            ),
    });
    // The caller supplied the bootstrap key, so only a generated key is a secret to hand out.
    if (created && !request.adminKey) {
      secret = key;
      secretPrefix = prefix;
    }
  });
}

/** Whether the provision of `tenantId` by `requestId` recorded its last step, the admin's key. */
export function provisioned(deps: Pick<GovernanceDeps, 'projection'>, tenantId: string, requestId: string): boolean {
  const admin = deps.projection.principal(tenantId, entityIdFor('principal', tenantId, requestId));
  return hasKey(admin?.state, entityIdFor('key', tenantId, requestId));
}

function hasKey(state: PrincipalState | undefined, keyId: string): boolean {
  return state !== undefined && state.status !== 'NONE' && state.keys.has(keyId);
}
