import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ContextChange, ContextEntry, PolicyRule } from '@aos/contracts';
import type { ContextClient } from '@aos/grpc-client';
import { startTestStack, statusOf, type TestStack } from '@aos/testing';
import { ContextWatch } from './support/context-fixtures';
import { GatewayCaller } from './support/gateway-caller';
import { principalWithKey, rid, type KeyHolder } from './support/governance-fixtures';

/**
 * A DENY rule on one shared context key, for a user whose role grants
 * context.read on everything: the key is refused by GetContext, left out of
 * ListContext (gRPC and the MCP endpoint's context_list) and of WatchContext,
 * while the scope's other keys are listed and watched as before. The gateway
 * checks a list or a watch on `ctx/<scope>/*`, which a rule on
 * `ctx/<scope>/<key>` never matches: the filtering is per key, inside.
 */
let t: TestStack;
let gateway: GatewayCaller;
let admin: ContextClient;
let reader: KeyHolder;
let asReader: ContextClient;
const clients: Client[] = [];

beforeAll(async () => {
  t = await startTestStack();
  gateway = new GatewayCaller(t.gatewayAddr);
  admin = t.client.context;
  reader = await principalWithKey(gateway, t.apiKey, { role: 'viewer' });
  asReader = t.clientWithKey(reader.key).context;
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  gateway?.close();
  await t?.stop();
});

const team = () => `team/acl-${rid().slice(0, 8)}`;
const put = (scope: string, key: string, value: unknown) =>
  admin.putContext({ scope, key, valueJson: JSON.stringify(value), requestId: rid() });
const keysOf = (entries: ContextEntry[]) => entries.map((e) => e.key);
const changeKeys = (changes: ContextChange[]) => changes.map((c) => `${c.entry!.key}@${c.entry!.version}`);

/** DENY context.read on `ctx/<scope>/<key>` for the reader. */
function denyReader(scope: string, key: string): Promise<PolicyRule> {
  return t.client.governance.addPolicyRule({
    rule: {
      subject: reader.principal.subject,
      action: 'context.read',
      resource: `ctx/${scope}/${key}`,
      effect: 'DENY' as never,
    },
    requestId: rid(),
  });
}

describe('a DENY on one shared context key', () => {
  it('GetContext refuses it; ListContext leaves it out of full pages, others see it', async () => {
    const scope = team();
    for (const key of ['notes', 'payroll', 'plan', 'roster']) await put(scope, key, { key });
    const rule = await denyReader(scope, 'payroll');

    const refused = await statusOf(asReader.getContext({ scope, key: 'payroll' }));
    expect([refused.code, refused.details]).toEqual(['PERMISSION_DENIED', expect.stringContaining('context.read')]);
    expect((await asReader.getContext({ scope, key: 'plan' })).valueJson).toBe('{"key":"plan"}');

    const listed = await asReader.listContext({ scope, minPosition: rule.logPosition });
    expect(keysOf(listed.entries)).toEqual(['notes', 'plan', 'roster']);
    expect(listed.entries.every((e) => !e.valueJson.includes('payroll'))).toBe(true);
    // Pages of two: the denied key takes no place in a page, and the token resumes after the page's last entry.
    const page1 = await asReader.listContext({ scope, pageSize: 2 });
    expect(keysOf(page1.entries)).toEqual(['notes', 'plan']);
    const page2 = await asReader.listContext({ scope, pageSize: 2, pageToken: page1.nextPageToken });
    expect([keysOf(page2.entries), page2.nextPageToken]).toEqual([['roster'], '']);
    // A prefix naming only the denied key: an empty list, not an error.
    expect((await asReader.listContext({ scope, keyPrefix: 'pay' })).entries).toEqual([]);

    // The rule names the reader only: the tenant admin still lists the key.
    expect(keysOf((await admin.listContext({ scope })).entries)).toEqual(['notes', 'payroll', 'plan', 'roster']);
  });

  it("WatchContext never sends the denied key's changes, and a rule added during a watch applies from then on", async () => {
    const scope = team();
    const start = await put(scope, 'plan', { step: 0 });
    const watchOf = (client: ContextClient) =>
      new ContextWatch(client.watchContext({ scope, afterPosition: start.logPosition }));
    const [readerWatch, adminWatch] = [watchOf(asReader), watchOf(admin)];

    // No rule yet: the reader sees payroll's first change.
    await put(scope, 'payroll', { salary: 1 });
    await put(scope, 'plan', { step: 1 });
    expect(changeKeys(await readerWatch.waitFor(2))).toEqual(['payroll@1', 'plan@2']);

    await denyReader(scope, 'payroll');
    // From now on payroll's changes are not sent; each is followed by one of plan, which is.
    for (let i = 2; i <= 4; i++) {
      await put(scope, 'payroll', { salary: i });
      await put(scope, 'plan', { step: i });
    }
    await admin.deleteContext({ scope, key: 'payroll', requestId: rid() });
    const last = await put(scope, 'notes', 'after the delete');

    const all = changeKeys(await adminWatch.waitFor(10));
    expect(all).toEqual([
      'payroll@1',
      'plan@2',
      'payroll@2',
      'plan@3',
      'payroll@3',
      'plan@4',
      'payroll@4',
      'plan@5',
      'payroll@5',
      'notes@1',
    ]);
    // The reader's watch has reached the last change (log order), so any payroll change would have come before it.
    const seen = await readerWatch.waitFor(6);
    expect(changeKeys(seen)).toEqual(['payroll@1', 'plan@2', 'plan@3', 'plan@4', 'plan@5', 'notes@1']);
    expect(seen.at(-1)!.entry!.logPosition).toBe(last.logPosition);
    expect(readerWatch.changes).toHaveLength(6);

    // A watch that replays the same changes now, under the rule: none of payroll's.
    const replay = watchOf(asReader);
    const replayed = await replay.waitFor(5);
    expect(changeKeys(replayed)).toEqual(['plan@2', 'plan@3', 'plan@4', 'plan@5', 'notes@1']);

    for (const w of [readerWatch, adminWatch, replay]) w.cancel();
    expect([readerWatch.failure, adminWatch.failure, replay.failure]).toEqual([undefined, undefined, undefined]);
  });

  it('MCP context_list leaves the denied key out too', async () => {
    const scope = team();
    for (const key of ['alpha', 'payroll', 'zulu']) await put(scope, key, key);
    const rule = await denyReader(scope, 'payroll');
    const listed = async (key: string) => {
      const client = new Client({ name: 'context-access-e2e', version: '0.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(t.mcpUrl!), {
          requestInit: { headers: { Authorization: `Bearer ${key}` } },
        }),
      );
      clients.push(client);
      const result = (await client.callTool({
        name: 'context_list',
        arguments: { scope },
      })) as CallToolResult;
      expect(result.isError ?? false).toBe(false);
      return (result.structuredContent as { entries: { key: string }[] }).entries.map((e) => e.key);
    };
    // The MCP tool sends min_position 0: the resources service has applied the rule by the reader's first call.
    await asReader.listContext({ scope, minPosition: rule.logPosition });
    expect(await listed(reader.key)).toEqual(['alpha', 'zulu']);
    expect(await listed(t.apiKey)).toEqual(['alpha', 'payroll', 'zulu']);
  });
});
