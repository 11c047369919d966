import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateApiKeyResponse, Event, Principal } from '@aos/contracts';
import { startTestStack, type TestStack } from '@aos/testing';
import { GatewayCaller } from './support/gateway-caller';
import { rid, unique } from './support/governance-fixtures';

/**
 * An API key's secret is shown once, in the CreateApiKey reply, and appears
 * nowhere else: not in the log (as the API shows it, as JetStream stores it,
 * and on disk), not in any service's output, not in any later reply.
 */
let t: TestStack;
let gateway: GatewayCaller;

beforeAll(async () => {
  // debug: the most the services ever log.
  t = await startTestStack({ output: 'capture', env: { AOS_LOG_LEVEL: 'debug' } });
  gateway = new GatewayCaller(t.gatewayAddr);
});
afterAll(async () => {
  gateway?.close();
  await t?.stop();
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('an API key secret after its creation', () => {
  it('is in the first CreateApiKey reply only', async () => {
    const principal = await gateway.unary<Principal>(
      'GovernanceService',
      'CreatePrincipal',
      { principal: { kind: 'SERVICE', name: unique('svc') }, requestId: rid() },
      t.apiKey,
    );
    const request = { principalId: principal.id, description: 'ci', requestId: rid() };
    const created = await gateway.unary<CreateApiKeyResponse>('GovernanceService', 'CreateApiKey', request, t.apiKey);
    const full = created.secret;
    expect(full).toMatch(/^aos_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    // The part that is secret: everything after the public prefix.
    const secret = full.slice(`aos_${created.apiKey!.prefix}_`.length);
    expect(secret.length).toBeGreaterThanOrEqual(43);
    const leaks = (where: string, text: string) => (text.includes(secret) ? [where] : []);
    const found: string[] = [];

    // Use the key (success and a near miss), so authentication paths run and could log.
    const replies: unknown[] = [];
    replies.push((await gateway.call('GovernanceService', 'WhoAmI', {}, `Bearer ${full}`)).messages);
    // The last character changed (to 'A', or 'B' when it is 'A': one key in 64 ends in 'A').
    const nearMiss = `${full.slice(0, -1)}${full.endsWith('A') ? 'B' : 'A'}`;
    expect((await gateway.call('GovernanceService', 'WhoAmI', {}, `Bearer ${nearMiss}`)).status).toBe(
      'UNAUTHENTICATED',
    );
    const retry = await gateway.unary<CreateApiKeyResponse>('GovernanceService', 'CreateApiKey', request, t.apiKey);
    expect(retry.apiKey?.id).toBe(created.apiKey?.id);
    expect(retry.secret).toBe('');
    replies.push(retry);
    replies.push(await gateway.unary('GovernanceService', 'ListApiKeys', {}, t.apiKey));
    replies.push(await gateway.unary('GovernanceService', 'ListApiKeys', { principalId: principal.id }, t.apiKey));
    replies.push(await gateway.unary('GovernanceService', 'GetPrincipal', { id: principal.id }, t.apiKey));
    replies.push(await gateway.unary('GovernanceService', 'WhoAmI', {}, t.apiKey));
    found.push(...leaks('later replies', JSON.stringify(replies)));

    // The log, as the API shows it.
    const replay = await gateway.call(
      'AuditService',
      'ReplayEvents',
      { afterPosition: 0 },
      `Bearer ${t.apiKey}`,
      10_000,
    );
    const events = replay.messages as Event[];
    expect(events.some((e) => e.type === 'ApiKeyCreated' && e.dataJson.includes(created.apiKey!.prefix))).toBe(true);
    found.push(...leaks('ReplayEvents', JSON.stringify(events)));
    const listed = await gateway.unary('AuditService', 'ListEvents', { pageSize: 1000 }, t.apiKey);
    found.push(...leaks('ListEvents', JSON.stringify(listed)));
    // Nor the slow hash the log keeps to verify keys: no reply carries it.
    for (const [where, reply] of [
      ['ReplayEvents', events],
      ['ListEvents', listed],
    ] as const) {
      if (JSON.stringify(reply).includes('scrypt$')) found.push(`key hash in ${where}`);
    }

    // The log, as JetStream stores it: every message, headers included.
    const nc = await connect({ servers: t.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info('AOS_EVENTS');
      expect(info.state.messages).toBeGreaterThan(0);
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const m = await jsm.streams.getMessage('AOS_EVENTS', { seq });
        if (!m) continue;
        const headers = m.header ? JSON.stringify([...m.header.keys()].map((k) => m.header.values(k))) : '';
        found.push(...leaks(`JetStream message ${seq}`, Buffer.from(m.data).toString('utf8') + headers));
      }
    } finally {
      await nc.close();
    }
    // And as it lies on disk.
    for (const file of await filesUnder(join(t.dataDir, 'nats'))) {
      found.push(...leaks(`file ${file}`, (await readFile(file)).toString('latin1')));
    }

    // Everything every service process printed.
    const output = t.capturedOutput();
    expect(output).toMatch(/\[gateway\] /);
    found.push(...leaks('service output', output));

    expect(found).toEqual([]);
  });
});
