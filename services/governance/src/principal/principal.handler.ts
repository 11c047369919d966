import { generateApiKey, hashApiKey } from '@aos/access-control';
import {
  GovernanceCategories,
  type ApiKey,
  type CreateApiKeyResponse,
  type ListApiKeysResponse,
  type ListPrincipalsResponse,
  type Principal,
} from '@aos/contracts';
import { AosError, NotFoundError, PermissionDeniedError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import { lastPosition, replayOf, type GovernanceDeps } from '../governance.deps';
import { entityIdFor } from '../governance.ids';
import { toProtoApiKey, toProtoPrincipal } from '../governance.mapper';
import { foldName } from '../governance.projection';
import { encodePageToken, pageOf } from '../governance.request';
import { KeyedMutex } from '@aos/keyed-mutex';
import {
  decidePrincipal,
  initialPrincipalState,
  type PrincipalCommand,
  type PrincipalState,
} from './principal.decider';
import type {
  CreateApiKeyCommand,
  CreatePrincipalCommand,
  GetPrincipalQuery,
  ListApiKeysQuery,
  ListPrincipalsQuery,
  RevokeApiKeyCommand,
} from './principal.validation';

/**
 * Principals and their API keys. A key's secret exists only in the reply of
 * the request that created it: it is generated here, only its scrypt hash goes
 * into the log, and a retry of that request gets the key without its secret.
 */
export class PrincipalHandler {
  /** Serialises requests sharing a request_id, so a quick retry waits for the first attempt's reply. */
  private readonly requests = new KeyedMutex();
  /**
   * Serialises creations per tenant and name in this instance, so two requests
   * cannot both find a name free. Across instances this is not a guarantee (a
   * name reservation stream would be); a known limitation shared with agents.
   */
  private readonly names = new KeyedMutex();

  constructor(private readonly deps: GovernanceDeps) {}

  async create(ctx: RequestContext, command: CreatePrincipalCommand): Promise<Principal> {
    this.deps.writer.requireFollowing();
    const tenantId = ctx.tenantId;
    return this.requests.run(`${tenantId}\u0000${command.requestId}`, async () => {
      const principalId = entityIdFor('principal', tenantId, command.requestId);
      const replayed = this.replay(tenantId, command.requestId, ['PrincipalCreated'], principalId);
      if (replayed) return this.principalReply(tenantId, principalId, lastPosition(replayed));
      // Name and OIDC subject are both unique per tenant: hold the lock of each.
      const oidcKey = `${tenantId}\u0001${command.oidcSubject}`;
      const create = () =>
        this.names.run(`${tenantId}\u0000${foldName(command.name)}`, async () => {
          const result = await this.commit(ctx, command.requestId, principalId, {
            type: 'CreatePrincipal',
            principalId,
            kind: command.kind,
            name: command.name,
            oidcSubject: command.oidcSubject,
            systemAdmin: false,
            nameHolder: this.deps.projection.principalIdByName(tenantId, command.name),
            oidcSubjectHolder: command.oidcSubject
              ? this.deps.access.principalByOidcSubject(tenantId, command.oidcSubject)?.id
              : undefined,
          });
          return this.principalReply(
            tenantId,
            principalId,
            result ?? this.recordedPosition(tenantId, command.requestId),
          );
        });
      return command.oidcSubject ? this.names.run(oidcKey, create) : create();
    });
  }

  async get(ctx: RequestContext, query: GetPrincipalQuery): Promise<Principal> {
    await this.deps.writer.reach(query.minPosition);
    const view = this.deps.access.principal(ctx.tenantId, query.principalId);
    if (!view) throw new NotFoundError('principal', query.principalId);
    return toProtoPrincipal(view);
  }

  async list(ctx: RequestContext, query: ListPrincipalsQuery): Promise<ListPrincipalsResponse> {
    await this.deps.writer.reach(query.minPosition);
    // Principals are never deleted, so their order of creation is a stable page order.
    const all = this.deps.access.principals(ctx.tenantId).map((view, i) => ({ view, n: i + 1 }));
    const { page, nextAfter } = pageOf(all, (p) => p.n, query.after, query.pageSize);
    return {
      principals: page.map((p) => toProtoPrincipal(p.view)),
      nextPageToken: nextAfter === undefined ? '' : encodePageToken('ListPrincipals', nextAfter),
    };
  }

  async createApiKey(ctx: RequestContext, command: CreateApiKeyCommand): Promise<CreateApiKeyResponse> {
    this.deps.writer.requireFollowing();
    const tenantId = ctx.tenantId;
    return this.requests.run(`${tenantId}\u0000${command.requestId}`, async () => {
      const keyId = entityIdFor('key', tenantId, command.requestId);
      // The key id comes from the request_id alone, so the principal must match too:
      // a request_id reused for another principal is another request.
      const replayed = this.replay(tenantId, command.requestId, ['ApiKeyCreated'], keyId, command.principalId);
      // A retry never sees the secret again: it was in the first reply only.
      if (replayed) return { apiKey: await this.keyReply(tenantId, keyId, lastPosition(replayed)), secret: '' };
      if (!this.deps.projection.principal(tenantId, command.principalId)) {
        throw new NotFoundError('principal', command.principalId);
      }
      this.requireMayManageKeysOf(ctx, command.principalId);
      const key = generateApiKey();
      const hash = await hashApiKey(key.full);
      const result = await this.commit(ctx, command.requestId, command.principalId, {
        type: 'CreateApiKey',
        principalId: command.principalId,
        keyId,
        prefix: key.prefix,
        hash,
        description: command.description,
        expireTime: command.expireTime,
        now: this.deps.now().toISOString(),
      });
      if (result === undefined) {
        // Another instance recorded this very request: its reply had the secret, this one must not.
        return {
          apiKey: await this.keyReply(tenantId, keyId, this.recordedPosition(tenantId, command.requestId)),
          secret: '',
        };
      }
      return { apiKey: await this.keyReply(tenantId, keyId, result), secret: key.full };
    });
  }

  async listApiKeys(ctx: RequestContext, query: ListApiKeysQuery): Promise<ListApiKeysResponse> {
    await this.deps.writer.reach(query.minPosition);
    if (query.principalId && !this.deps.access.principal(ctx.tenantId, query.principalId)) {
      throw new NotFoundError('principal', query.principalId);
    }
    const keys = this.deps.access.apiKeys(ctx.tenantId, query.principalId, this.deps.now());
    return { apiKeys: keys.map(toProtoApiKey) };
  }

  async revokeApiKey(ctx: RequestContext, command: RevokeApiKeyCommand): Promise<ApiKey> {
    this.deps.writer.requireFollowing();
    const tenantId = ctx.tenantId;
    return this.requests.run(`${tenantId}\u0000${command.requestId}`, async () => {
      const replayed = this.replay(tenantId, command.requestId, ['ApiKeyRevoked'], command.keyId);
      if (replayed) return this.keyReply(tenantId, command.keyId, lastPosition(replayed));
      // Keys are found through this tenant's index only: another tenant's key id is NOT_FOUND.
      const principalId = this.deps.projection.principalIdByKey(tenantId, command.keyId);
      if (!principalId) throw new NotFoundError('api key', command.keyId);
      this.requireMayManageKeysOf(ctx, principalId);
      const result = await this.commit(ctx, command.requestId, principalId, {
        type: 'RevokeApiKey',
        principalId,
        keyId: command.keyId,
      });
      return this.keyReply(tenantId, command.keyId, result ?? this.recordedPosition(tenantId, command.requestId));
    });
  }

  private async commit(ctx: RequestContext, requestId: string, principalId: string, command: PrincipalCommand) {
    const { projection } = this.deps;
    const result = await this.deps.writer.commit<PrincipalState>({
      ctx,
      requestId,
      stream: { tenantId: ctx.tenantId, category: GovernanceCategories.principal, id: principalId },
      load: () => projection.principal(ctx.tenantId, principalId) ?? { state: initialPrincipalState, revision: -1 },
      decide: (state) => decidePrincipal(command, state),
      recorded: () => projection.request(ctx.tenantId, requestId) !== undefined,
    });
    return result?.position;
  }

  private replay(tenantId: string, requestId: string, types: string[], ...targetIds: string[]) {
    return replayOf(this.deps, tenantId, requestId, types, (events) =>
      events.every((e) => targetIds.every((id) => Object.values(e.data as Record<string, unknown>).includes(id))),
    );
  }

  /**
   * A system administrator's keys open every tenant's creation: only another
   * system administrator may mint or revoke them, whatever roles the caller
   * holds in the tenant (keys.create alone must not make a tenant admin a
   * system admin).
   */
  private requireMayManageKeysOf(ctx: RequestContext, principalId: string): void {
    const target = this.deps.access.principal(ctx.tenantId, principalId);
    if (!target?.systemAdmin) return;
    const caller = this.deps.access.principal(ctx.tenantId, ctx.actor.id);
    if (ctx.actor.kind === 'system' || caller?.systemAdmin) return;
    throw new PermissionDeniedError("only a system administrator may create or revoke a system administrator's keys");
  }

  private recordedPosition(tenantId: string, requestId: string): number {
    const events = this.deps.projection.request(tenantId, requestId);
    if (!events) throw new AosError('INTERNAL', `request ${requestId} changed nothing and is not recorded`);
    return lastPosition(events);
  }

  private async principalReply(tenantId: string, principalId: string, position: number): Promise<Principal> {
    await this.deps.writer.written(position);
    const view = this.deps.access.principal(tenantId, principalId);
    if (!view) throw new AosError('INTERNAL', `principal ${principalId} was recorded but is not in the read model`);
    return toProtoPrincipal(view);
  }

  private async keyReply(tenantId: string, keyId: string, position: number): Promise<ApiKey> {
    await this.deps.writer.written(position);
    const view = this.deps.access.apiKey(tenantId, keyId, this.deps.now());
    if (!view) throw new AosError('INTERNAL', `api key ${keyId} was recorded but is not in the read model`);
    return toProtoApiKey(view);
  }
}
