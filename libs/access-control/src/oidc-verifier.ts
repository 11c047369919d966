import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { UnauthenticatedError } from '@aos/errors';

export interface OidcVerifierConfig {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** Claim holding the caller's groups; default "groups". */
  groupsClaim?: string;
  /** Claim naming the caller's tenant; default "aos_tenant". */
  tenantClaim?: string;
  /** The tenant of a token without the tenant claim. */
  defaultTenant: string;
  /** Default 30 seconds. */
  clockToleranceSec?: number;
}

export interface VerifiedOidcToken {
  tenantId: string;
  /** The token's `sub`. */
  subject: string;
  groups: string[];
}

/**
 * Only asymmetric algorithms: a JWKS publishes public keys, so an HS* token
 * would have to be "signed" with a public key anyone can read, and `none` is
 * no signature at all. jose refuses both before looking at a key.
 */
const ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA'];
const DEFAULT_CLOCK_TOLERANCE_SEC = 30;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Verifies OIDC bearer tokens (JWTs) against the issuer's JWKS, fetched and
 * cached by jose (refetched when a token names an unknown key id). Every
 * failure is an UnauthenticatedError with a short reason and nothing of the token.
 */
export class OidcVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly cfg: OidcVerifierConfig) {
    this.jwks = createRemoteJWKSet(new URL(cfg.jwksUrl));
  }

  async verify(token: string): Promise<VerifiedOidcToken> {
    if (!COMPACT_JWS.test(token)) throw new UnauthenticatedError('malformed bearer token');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.cfg.issuer,
        audience: this.cfg.audience,
        algorithms: ALGORITHMS,
        clockTolerance: this.cfg.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC,
        // jose checks exp only when present: a token without one would never expire.
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw new UnauthenticatedError(failureReason(error));
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new UnauthenticatedError('token has no subject');
    const tenant = payload[this.cfg.tenantClaim ?? 'aos_tenant'];
    if (tenant !== undefined && (typeof tenant !== 'string' || tenant === ''))
      throw new UnauthenticatedError('invalid tenant claim');
    const groups = payload[this.cfg.groupsClaim ?? 'groups'];
    return {
      tenantId: tenant ?? this.cfg.defaultTenant,
      subject: payload.sub,
      groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string' && g !== '') : [],
    };
  }
}

function failureReason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return 'wrong issuer';
      case 'aud':
        return 'wrong audience';
      case 'nbf':
        return 'token not yet valid';
      case 'iat':
        return 'token issued in the future';
      default:
        return `invalid token claim ${error.claim}`;
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm not allowed';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return 'unknown token signing key';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad token signature';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid)
    return "cannot fetch the issuer's signing keys";
  if (error instanceof errors.JOSEError) return 'malformed bearer token';
  // A network failure fetching the JWKS (jose rethrows fetch's TypeError).
  return "cannot fetch the issuer's signing keys";
}
