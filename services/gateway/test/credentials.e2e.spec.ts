import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toTimestamp, type ApiKey, type WhoAmIResponse } from '@aos/contracts';
import { startTestStack, type TestStack } from '@aos/testing';
import { GatewayCaller } from './support/gateway-caller';
import { principalWithKey, rid } from './support/governance-fixtures';

/** API keys through the whole stack: revocation and expiry take effect at once; malformed credentials never get in. */
let t: TestStack;
let gateway: GatewayCaller;

beforeAll(async () => {
  t = await startTestStack();
  gateway = new GatewayCaller(t.gatewayAddr);
});
afterAll(async () => {
  gateway?.close();
  await t?.stop();
});

const whoAmI = (key: string) => gateway.call('GovernanceService', 'WhoAmI', {}, `Bearer ${key}`);

describe('API keys through the gateway', () => {
  it('a new key works at once, as its principal', async () => {
    const holder = await principalWithKey(gateway, t.apiKey, { role: 'viewer' });
    const outcome = await whoAmI(holder.key);
    expect(outcome.status).toBe('OK');
    expect(outcome.messages[0] as WhoAmIResponse).toMatchObject({
      tenantId: 'default',
      subject: holder.principal.subject,
      principal: { id: holder.principal.id },
      roles: ['viewer'],
      authentication: 'api_key',
    });
  });

  it('a revoked key is refused on the very next call after RevokeApiKey returns', async () => {
    for (let i = 0; i < 5; i++) {
      const holder = await principalWithKey(gateway, t.apiKey, { role: 'viewer' });
      expect((await whoAmI(holder.key)).status).toBe('OK');
      const revoked = await gateway.unary<ApiKey>(
        'GovernanceService',
        'RevokeApiKey',
        { id: holder.keyId, requestId: rid() },
        t.apiKey,
      );
      expect(revoked.state).toBe('API_KEY_REVOKED');
      expect((await whoAmI(holder.key)).status).toBe('UNAUTHENTICATED');
    }
  });

  it('an expired key is refused', async () => {
    const expireAt = Date.now() + 2_000;
    const holder = await principalWithKey(gateway, t.apiKey, {
      role: 'viewer',
      expireTime: toTimestamp(new Date(expireAt).toISOString()),
    });
    expect((await whoAmI(holder.key)).status).toBe('OK');
    await new Promise((r) => setTimeout(r, expireAt - Date.now() + 300));
    expect((await whoAmI(holder.key)).status).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['no authorization', undefined],
    ['Bearer', 'Bearer'],
    ['Bearer + space', 'Bearer '],
    ['Basic x', 'Basic x'],
    ['Bearer aos_x', 'Bearer aos_x'],
    ['Bearer a.b.c', 'Bearer a.b.c'],
    ['a wrong secret', 'wrong-secret'],
  ])('%s → UNAUTHENTICATED, on unary calls and streams', async (_case, value) => {
    // The key is random: change its last two characters to ones it does not end in.
    const wrong = `${t.apiKey.slice(0, -2)}${t.apiKey.endsWith('xx') ? 'yy' : 'xx'}`;
    const authorization = value === 'wrong-secret' ? `Bearer ${wrong}` : value;
    expect((await gateway.call('GovernanceService', 'WhoAmI', {}, authorization)).status).toBe('UNAUTHENTICATED');
    expect((await gateway.call('AgentService', 'ListAgents', {}, authorization)).status).toBe('UNAUTHENTICATED');
    expect((await gateway.call('AuditService', 'ReplayEvents', {}, authorization)).status).toBe('UNAUTHENTICATED');
  });
});
