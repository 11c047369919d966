import { afterEach, describe, expect, it } from 'vitest';
import { consoleOidcSettings, loadConfig } from '@aos/config';
import { startConsoleServer, type ConsoleServer } from '../src/console/console.server';

/**
 * GET /console-config.json: how the sign-in page learns whether to offer OIDC,
 * answered before anyone is signed in, so it carries public values only.
 */
let server: ConsoleServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

// Nothing here is forwarded, so no gRPC server need listen at the gateway address.
const start = (oidc: ReturnType<typeof consoleOidcSettings>) =>
  startConsoleServer('127.0.0.1:0', { gatewayAddress: '127.0.0.1:9', oidc });

describe('GET /console-config.json', () => {
  it('names the issuer, the public client id, the scopes and the bearer token when OIDC sign-in is configured', async () => {
    const config = loadConfig({
      AOS_OIDC_ISSUER: 'https://login.example.com/realm',
      AOS_OIDC_AUDIENCE: 'agentos',
      AOS_OIDC_JWKS_URL: 'https://login.example.com/realm/jwks',
      AOS_CONSOLE_OIDC_CLIENT_ID: 'agentos',
    });
    server = await start(consoleOidcSettings(config));
    const response = await fetch(`http://${server.address}/console-config.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({
      oidc: {
        issuer: 'https://login.example.com/realm',
        clientId: 'agentos',
        scopes: ['openid', 'profile', 'email'],
        bearer: 'id_token',
      },
    });
  });

  it('says oidc null without a console client id', async () => {
    server = await start(consoleOidcSettings(loadConfig({})));
    expect(await (await fetch(`http://${server.address}/console-config.json`)).json()).toEqual({ oidc: null });
  });

  it('answers other methods as before (no such route to POST to)', async () => {
    server = await start(null);
    const response = await fetch(`http://${server.address}/console-config.json`, { method: 'POST' });
    expect(response.headers.get('content-type')).not.toBe('application/json');
  });
});
