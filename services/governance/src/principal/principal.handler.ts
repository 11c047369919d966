import { generateApiKey, hashApiKey } from '@aos/access-control';
import {
  GovernanceCategories,
  type ApiKey,
  type GovernanceEvent,
  type CreateApiKeyResponse,
  type ListApiKeysResponse,
  type ListPrincipalsResponse,
  type Principal,
} from '@aos/contracts';
import { AosError, NotFoundError, PermissionDeniedError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import { idOfIdOrName } from '@aos/request-fields';
import type { NameChange, RecordedStep } from '@aos/command-pipeline';
import { dataOf, type GovernanceDeps } from '../governance.deps';
import { entityIdFor } from '../governance.ids';
import { toProtoApiKey, toProtoPrincipal } from '../governance.mapper';
import { encodePageToken, pageOf } from '../governance.request';
import { decidePrincipal, initialPrincipalState, type PrincipalState } from './principal.decider';
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
  constructor(private readonly deps: GovernanceDeps) {}

  create(ctx: RequestContext, command: CreatePrincipalCommand): Promise<Principal> {
    const { tenantId } = ctx;
    const principalId = entityIdFor('principal', tenantId, command.requestId);
    return this.deps.pipeline.handle(ctx, {
      requestId: command.requestId,
      replays: ['PrincipalCreated'],
      ...this.principalStream(tenantId, principalId),
      creates: true,
      decide: (state) =>
        decidePrincipal(
          {
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
          },
          state,
        ),
      names: principalNames,
      reply: () => this.principalReply(tenantId, principalId),
    });
  }

  async get(ctx: RequestContext, query: GetPrincipalQuery): Promise<Principal> {
    await this.deps.pipeline.reach(query.minPosition);
    const principalId = idOfIdOrName(query.principal, 'principal', (name) =>
      this.deps.projection.principalIdByName(ctx.tenantId, name),
    );
    const view = this.deps.access.principal(ctx.tenantId, principalId);
    if (!view) throw new NotFoundError('principal', query.principal.id ?? query.principal.name);
    return toProtoPrincipal(view);
  }

  async list(ctx: RequestContext, query: ListPrincipalsQuery): Promise<ListPrincipalsResponse> {
    await this.deps.pipeline.reach(query.minPosition);
    // Principals are never deleted, so their order of creation is a stable page order.
    const all = this.deps.access.principals(ctx.tenantId).map((view, i) => ({ view, n: i + 1 }));
    const { page, nextAfter } = pageOf(all, (p) => p.n, query.after, query.pageSize);
    return {
      principals: page.map((p) => toProtoPrincipal(p.view)),
      nextPageToken: nextAfter === undefined ? '' : encodePageToken('ListPrincipals', nextAfter),
    };
  }

  /** The secret is generated only for a request not recorded yet: a retry never sees it again. */
  createApiKey(ctx: RequestContext, command: CreateApiKeyCommand): Promise<CreateApiKeyResponse> {
    const { tenantId } = ctx;
    const keyId = entityIdFor('key', tenantId, command.requestId);
    let secret = '';
    let prefix = '';
    return this.deps.pipeline.handleRequest(
      ctx,
      {
        requestId: command.requestId,
        replays: ['ApiKeyCreated'],
        // The key id comes from the request_id alone, so the principal must match too.
        sameTarget: (steps) => steps.every((s) => s.streamId === command.principalId),
        reply: async () => {
          const apiKey = await this.keyReply(tenantId, keyId);
          // The secret only goes with the key it belongs to: when another attempt of this request
          // (another instance) wrote the same event first, the log may take this attempt's append as
          // a duplicate of it, and the recorded key is that attempt's (its random prefix tells).
          return { apiKey, secret: secret !== '' && apiKey.prefix === prefix ? secret : '' };
        },
      },
      async (tx) => {
        if (!this.deps.projection.principal(tenantId, command.principalId)) {
          throw new NotFoundError('principal', command.principalId);
        }
        this.requireMayManageKeysOf(ctx, command.principalId);
        const key = generateApiKey();
        const hash = await hashApiKey(key.full);
        const committed = await tx.commit({
          ...this.principalStream(tenantId, command.principalId),
          decide: (state) =>
            decidePrincipal(
              {
                type: 'CreateApiKey',
                principalId: command.principalId,
                keyId,
                prefix: key.prefix,
                hash,
                description: command.description,
                expireTime: command.expireTime,
                now: this.deps.now().toISOString(),
              },
              state,
            ),
        });
        // Recorded by another instance meanwhile: its reply had the secret, this one must not.
        if (committed) {
          secret = key.full;
          prefix = key.prefix;
        }
      },
    );
  }

  async listApiKeys(ctx: RequestContext, query: ListApiKeysQuery): Promise<ListApiKeysResponse> {
    await this.deps.pipeline.reach(query.minPosition);
    if (query.principalId && !this.deps.access.principal(ctx.tenantId, query.principalId)) {
      throw new NotFoundError('principal', query.principalId);
    }
    const keys = this.deps.access.apiKeys(ctx.tenantId, query.principalId, this.deps.now());
    return { apiKeys: keys.map(toProtoApiKey) };
  }

  revokeApiKey(ctx: RequestContext, command: RevokeApiKeyCommand): Promise<ApiKey> {
    const { tenantId } = ctx;
    const request = {
      requestId: command.requestId,
      replays: ['ApiKeyRevoked'],
      sameTarget: (steps: readonly RecordedStep[]) => steps.every((s) => dataOf(s).keyId === command.keyId),
      reply: () => this.keyReply(tenantId, command.keyId),
    };
    return this.deps.pipeline.handleRequest(ctx, request, async (tx) => {
      // Keys are found through this tenant's index only: another tenant's key id is NOT_FOUND.
      const principalId = this.deps.projection.principalIdByKey(tenantId, command.keyId);
      if (!principalId) throw new NotFoundError('api key', command.keyId);
      this.requireMayManageKeysOf(ctx, principalId);
      await tx.commit({
        ...this.principalStream(tenantId, principalId),
        decide: (state) => decidePrincipal({ type: 'RevokeApiKey', principalId, keyId: command.keyId }, state),
      });
    });
  }

  /** The principal's stream as the pipeline finds and decides it. */
  private principalStream(tenantId: string, principalId: string) {
    return {
      stream: { category: GovernanceCategories.principal, id: principalId },
      load: () => this.deps.projection.principal(tenantId, principalId),
      initial: initialPrincipalState as PrincipalState,
    };
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

  private principalReply(tenantId: string, principalId: string): Principal {
    const view = this.deps.access.principal(tenantId, principalId);
    if (!view) throw new AosError('INTERNAL', `principal ${principalId} was recorded but is not in the read model`);
    return toProtoPrincipal(view);
  }

  private async keyReply(tenantId: string, keyId: string): Promise<ApiKey> {
    const view = this.deps.access.apiKey(tenantId, keyId, this.deps.now());
    if (!view) throw new AosError('INTERNAL', `api key ${keyId} was recorded but is not in the read model`);
    return toProtoApiKey(view);
  }
}

/** A created principal takes its name and, when it has one, its OIDC subject. */
export function principalNames(events: readonly GovernanceEvent[]): NameChange[] {
  return events.flatMap((event): NameChange[] => {
    if (event.type !== 'PrincipalCreated') return [];
    const { principalId, name, oidcSubject } = event.data;
    const changes: NameChange[] = [{ kind: 'principal', name, holderId: principalId, action: 'reserve' }];
    if (oidcSubject) changes.push({ kind: 'oidcSubject', name: oidcSubject, holderId: principalId, action: 'reserve' });
    return changes;
  });
}
