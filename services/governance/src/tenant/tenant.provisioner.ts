import { generateApiKey, hashApiKey } from '@aos/access-control';
import { GovernanceCategories, type CreateTenantResponse } from '@aos/contracts';
import { AlreadyExistsError, AosError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import type { GovernanceDeps } from '../governance.deps';
import { entityIdFor } from '../governance.ids';
import { toProtoApiKey, toProtoPrincipal, toProtoTenant } from '../governance.mapper';
import { decidePolicy, findBinding, initialPolicyState } from '../policy/policy.decider';
import { decidePrincipal, evolvePrincipal, initialPrincipalState } from '../principal/principal.decider';
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
 * written atomically, so every step is skipped when the log already has it:
 * a retry with the same request_id (or a restart after a crash) completes
 * what an earlier attempt began. The tenant stream is written first
 * (`no_stream`), so it is the lock: a concurrent request for the same id
 * fails before it writes anything into the tenant. The key comes last, so
 * its secret can be handed out by the attempt that records it: the secret is
 * only in that reply, never in the log nor in memory afterwards.
 */
export async function provisionTenant(
  deps: GovernanceDeps,
  ctx: RequestContext,
  request: TenantProvision,
): Promise<CreateTenantResponse> {
  const { tenantId, requestId } = request;
  const { projection, writer } = deps;
  const existing = projection.tenant(tenantId);
  if (existing && existing.requestId !== requestId) throw new AlreadyExistsError('tenant', 'tenant.id', tenantId);
  const writeCtx: RequestContext = { ...ctx, tenantId };
  const recordedByUs = () => projection.tenant(tenantId)?.requestId === requestId;
  const positions: number[] = existing ? [existing.logPosition] : [];

  if (!existing) {
    const result = await writer.commit({
      ctx: writeCtx,
      requestId,
      stream: { tenantId, category: GovernanceCategories.tenant, id: tenantId },
      load: () => {
        const tenant = projection.tenant(tenantId);
        return tenant
          ? { state: { status: 'CREATED' as const, ...tenant.state }, revision: tenant.revision }
          : { state: initialTenantState, revision: -1 };
      },
      decide: (state) => decideTenant({ type: 'CreateTenant', tenantId, displayName: request.displayName }, state),
      firstIndex: 0,
      recorded: recordedByUs,
    });
    if (result) positions.push(result.position);
    else if (!recordedByUs()) throw new AlreadyExistsError('tenant', 'tenant.id', tenantId);
  }

  const adminId = entityIdFor('principal', tenantId, requestId);
  const bindingId = entityIdFor('binding', tenantId, requestId);
  const keyId = entityIdFor('key', tenantId, requestId);
  const adminSubject = `user:${adminId}`;

  const bound = await writer.commit({
    ctx: writeCtx,
    requestId,
    stream: { tenantId, category: GovernanceCategories.policy, id: tenantId },
    load: () => {
      const policy = projection.policy(tenantId);
      return policy ?? { state: initialPolicyState, revision: -1 };
    },
    decide: (state) =>
      findBinding(state, adminSubject, 'tenant-admin')
        ? []
        : decidePolicy({ type: 'AssignRole', bindingId, subject: adminSubject, role: 'tenant-admin' }, state),
    firstIndex: 1,
  });
  if (bound) positions.push(bound.position);

  let secret = '';
  if (!projection.principal(tenantId, adminId)) {
    const key = request.adminKey ?? generateApiKey().full;
    const prefix = /^aos_([a-z0-9]{4,16})_/.exec(key)?.[1];
    if (!prefix) throw new AosError('INTERNAL', 'the admin key is not aos_<prefix>_<secret>');
    const hash = await hashApiKey(key);
    const created = await writer.commit({
      ctx: writeCtx,
      requestId,
      stream: { tenantId, category: GovernanceCategories.principal, id: adminId },
      load: () => projection.principal(tenantId, adminId) ?? { state: initialPrincipalState, revision: -1 },
      decide: (state) => {
        if (state.status !== 'NONE') return [];
        const principal = decidePrincipal(
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
        );
        const withPrincipal = principal.reduce(evolvePrincipal, state);
        const key = decidePrincipal(
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
          withPrincipal,
        );
        return [...principal, ...key];
      },
      firstIndex: 2,
    });
    if (created) {
      positions.push(created.position);
      // The caller supplied the bootstrap key, so only a generated key is a secret to hand out.
      if (!request.adminKey) secret = key;
    }
  } else {
    positions.push(projection.principal(tenantId, adminId)!.logPosition);
  }

  await writer.written(Math.max(...positions));
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
    adminApiKeySecret: secret,
  };
}
