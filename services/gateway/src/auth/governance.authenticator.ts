import type { Metadata } from '@grpc/grpc-js';
import type { AccessModel, Identity, OidcVerifier } from '@aos/access-control';
import { UnauthenticatedError } from '@aos/errors';
import type { Authenticator, Caller } from './authenticator';
import { bearerCredential } from './bearer-credential';
import type { KeyFreshness } from './key-freshness';

/**
 * Authenticates against the gateway's own AccessModel (a projection of the
 * governance streams): API keys by prefix and slow hash, revocation and
 * expiry checked on every call; OIDC JWTs, when an issuer is configured,
 * verified against its JWKS and mapped to the principal with that `sub` in
 * the token's tenant, or else to the token's groups. With `freshness`, a
 * key is checked against its principal's stream as the log holds it now, so
 * a change made through another gateway counts at once (see KeyFreshness).
 */
export class GovernanceAuthenticator implements Authenticator {
  constructor(
    private readonly model: AccessModel,
    private readonly oidc?: OidcVerifier,
    private readonly freshness?: KeyFreshness,
  ) {}

  async authenticate(metadata: Metadata): Promise<Caller> {
    const credential = bearerCredential(metadata);
    if (credential.kind === 'api_key') {
      const identity = await this.apiKeyIdentity(credential.key);
      return { identity, grantSubjects: [identity.subject] };
    }
    if (!this.oidc) throw new UnauthenticatedError('bearer tokens are not accepted: OIDC is not configured');
    return this.callerForToken(await this.oidc.verify(credential.token));
  }

  private async apiKeyIdentity(key: string): Promise<Identity> {
    const freshness = this.freshness;
    if (!freshness) return this.model.authenticateApiKey(key);
    let identity: Identity;
    try {
      identity = await this.model.authenticateApiKey(key);
    } catch (err) {
      if (!(err instanceof UnauthenticatedError)) throw err;
      // Perhaps made through another gateway a moment ago: asked again once caught up with the log.
      await freshness.everything();
      identity = await this.model.authenticateApiKey(key);
    }
    await freshness.principal(identity.tenantId, identity.principalId);
    // Asked again: the wait may have applied a revocation (verified keys are cached, so this is cheap).
    return this.model.authenticateApiKey(key);
  }

  private callerForToken(token: { tenantId: string; subject: string; groups: string[] }): Caller {
    const { tenantId, subject: sub, groups } = token;
    if (!this.model.tenantExists(tenantId)) throw new UnauthenticatedError('the token names an unknown tenant');
    const principal = this.model.principalByOidcSubject(tenantId, sub);
    if (principal) {
      const identity = this.model.identityForSubject(tenantId, principal.subject);
      if (!identity) throw new UnauthenticatedError('the token maps to no principal');
      return { identity: { ...identity, authentication: 'oidc', keyId: undefined }, grantSubjects: [identity.subject] };
    }
    // No principal has this subject: the caller acts through its groups, and
    // is known only if at least one of them has been granted a role.
    const groupSubjects = [...new Set(groups)].map((g) => `group:${g}`);
    const roles = [...new Set(groupSubjects.flatMap((s) => this.model.rolesOf(tenantId, s)))];
    if (roles.length === 0)
      throw new UnauthenticatedError('the token maps to no principal and none of its groups has a role');
    const identity: Identity = {
      tenantId,
      subject: `oidc:${sub}`,
      principalId: '',
      actor: { kind: 'user', id: `oidc:${sub}` },
      roles,
      systemAdmin: false,
      authentication: 'oidc',
    };
    return { identity, grantSubjects: groupSubjects };
  }
}
