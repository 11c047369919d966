import { describe, expect, it } from 'vitest';
import { ConfigError, consoleOidcSettings, loadConfig } from '../src/index';

const OIDC = {
  AOS_OIDC_ISSUER: 'https://login.example.com/realm',
  AOS_OIDC_AUDIENCE: 'agentos',
  AOS_OIDC_JWKS_URL: 'https://login.example.com/realm/jwks',
};

describe('AOS_CONSOLE_OIDC_CLIENT_ID', () => {
  it('unset: the console offers no OIDC sign-in', () => {
    expect(consoleOidcSettings(loadConfig({}))).toBeNull();
    expect(consoleOidcSettings(loadConfig(OIDC))).toBeNull();
  });

  it('set: the issuer, the client id and the token whose audience the gateway accepts', () => {
    expect(consoleOidcSettings(loadConfig({ ...OIDC, AOS_CONSOLE_OIDC_CLIENT_ID: 'agentos' }))).toEqual({
      issuer: 'https://login.example.com/realm',
      clientId: 'agentos',
      scopes: ['openid', 'profile', 'email'],
      bearer: 'id_token',
    });
    expect(consoleOidcSettings(loadConfig({ ...OIDC, AOS_CONSOLE_OIDC_CLIENT_ID: 'agentos-console' }))).toMatchObject({
      clientId: 'agentos-console',
      bearer: 'access_token',
    });
  });

  it('refuses a client id without the issuer, audience and JWKS the gateway verifies with, naming them', () => {
    expect(() => loadConfig({ AOS_CONSOLE_OIDC_CLIENT_ID: 'agentos' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...OIDC, AOS_OIDC_JWKS_URL: '', AOS_CONSOLE_OIDC_CLIENT_ID: 'agentos' })).toThrow(
      /AOS_OIDC_JWKS_URL: required when AOS_CONSOLE_OIDC_CLIENT_ID/,
    );
  });
});
