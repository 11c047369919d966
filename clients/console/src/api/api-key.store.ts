// The caller's credential (an API key, or the OIDC token the gateway verifies)
// lives in sessionStorage only: it is gone when the tab closes and is never
// written where another site or a later session could read it.
const API_KEY = 'aos.apiKey';
const OIDC_TOKEN = 'aos.oidcToken';

export type CredentialKind = 'apiKey' | 'oidc';

/** What the console sends as `authorization: Bearer …`, if anyone is signed in. */
export function readBearer(): string | null {
  return sessionStorage.getItem(API_KEY) ?? sessionStorage.getItem(OIDC_TOKEN);
}

/** How the caller signed in, if they did. */
export function credentialKind(): CredentialKind | null {
  if (sessionStorage.getItem(API_KEY) !== null) return 'apiKey';
  return sessionStorage.getItem(OIDC_TOKEN) !== null ? 'oidc' : null;
}

export function storeCredential(kind: CredentialKind, secret: string): void {
  clearCredentials();
  sessionStorage.setItem(kind === 'apiKey' ? API_KEY : OIDC_TOKEN, secret);
}

export function clearCredentials(): void {
  sessionStorage.removeItem(API_KEY);
  sessionStorage.removeItem(OIDC_TOKEN);
}
