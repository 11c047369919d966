import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContextChange, ContextEntry } from '@aos/contracts';
import type { AosClientError, ContextClient } from '@aos/grpc-client';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startTestStack, statusOf, type TestStack } from '@aos/testing';
import { ContextWatch, readModifyWriteRace } from './support/context-fixtures';
import { principalWithKey } from './support/governance-fixtures';
import { GatewayCaller } from './support/gateway-caller';

/** Shared context (ContextService) through the gRPC gateway of the whole stack. */
let t: TestStack;
let gateway: GatewayCaller;
let admin: ContextClient;
let operator: ContextClient;
let manager: ContextClient;
let viewer: ContextClient;
let operatorId: string;

beforeAll(async () => {
  t = await startTestStack();
  gateway = new GatewayCaller(t.gatewayAddr);
  admin = t.client.context;
  const [op, mgr, view] = await Promise.all([
    principalWithKey(gateway, t.apiKey, { role: 'operator' }),
    principalWithKey(gateway, t.apiKey, { role: 'agent-manager' }),
    principalWithKey(gateway, t.apiKey, { role: 'viewer' }),
  ]);
  operator = t.clientWithKey(op.key).context;
  manager = t.clientWithKey(mgr.key).context;
  viewer = t.clientWithKey(view.key).context;
  operatorId = op.principal.id;
}, 120_000);

afterAll(async () => {
  gateway?.close();
  await t?.stop();
});

const rid = () => randomUUID();
const team = () => `team/t-${randomUUID().slice(0, 8)}`;
const failure = (call: Promise<unknown>) => statusOf(call) as Promise<AosClientError>;

describe('shared context through the gateway', () => {
  it('puts, gets, lists and deletes; an old version stays readable; a deleted entry is NOT_FOUND', async () => {
    const scope = team();
    const v1 = await operator.putContext({ scope, key: 'plan', valueJson: '{"step":1}', requestId: rid() });
    expect(v1).toMatchObject({
      scope,
      key: 'plan',
      valueJson: '{"step":1}',
      version: 1,
      deleted: false,
      updatedBy: `user:${operatorId}`,
    });
    expect(v1.logPosition).toBeGreaterThan(0);
    expect(v1.createTime).toEqual(v1.updateTime);
    const v2 = await manager.putContext({ scope, key: 'plan', valueJson: '{"step":2}', requestId: rid() });
    expect(v2).toMatchObject({ version: 2, valueJson: '{"step":2}', createTime: v1.createTime });
    await admin.putContext({ scope, key: 'notes', valueJson: '"free text"', requestId: rid() });

    expect(await viewer.getContext({ scope, key: 'plan' })).toEqual(v2);
    expect(await viewer.getContext({ scope, key: 'plan', version: 1 })).toEqual(v1);
    const listed = await viewer.listContext({ scope });
    expect(listed.entries.map((e) => [e.key, e.version])).toEqual([
      ['notes', 1],
      ['plan', 2],
    ]);
    expect((await viewer.listContext({ scope, keyPrefix: 'pl' })).entries.map((e) => e.key)).toEqual(['plan']);

    const gone = await operator.deleteContext({ scope, key: 'plan', expectedVersion: 2, requestId: rid() });
    expect(gone).toMatchObject({ version: 3, deleted: true, valueJson: '', createTime: v1.createTime });
    expect((await failure(viewer.getContext({ scope, key: 'plan' }))).code).toBe('NOT_FOUND');
    expect((await failure(viewer.getContext({ scope, key: 'plan', version: 3 }))).code).toBe('NOT_FOUND');
    expect(await viewer.getContext({ scope, key: 'plan', version: 2 })).toEqual(v2);
    expect((await viewer.listContext({ scope })).entries.map((e) => e.key)).toEqual(['notes']);

    // Re-created after the delete with expected_version 0: the next version.
    const again = await operator.putContext({
      scope,
      key: 'plan',
      valueJson: '[]',
      expectedVersion: 0,
      requestId: rid(),
    });
    expect(again).toMatchObject({ version: 4, deleted: false, valueJson: '[]' });
  });

  it('pages a list with page tokens', async () => {
    const scope = team();
    for (let i = 0; i < 5; i++) await admin.putContext({ scope, key: `k${i}`, valueJson: `${i}`, requestId: rid() });
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await admin.listContext({ scope, pageSize: 2, pageToken });
      seen.push(...page.entries.map((e) => e.key));
      pageToken = page.nextPageToken;
      pages += 1;
    } while (pageToken !== '');
    expect(seen).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    expect(pages).toBe(3);
  });

  it('answers bad input with the status and the field', async () => {
    const scope = team();
    const cases: [() => Promise<unknown>, string, RegExp][] = [
      [
        () => admin.putContext({ scope: 'teams/x', key: 'a', valueJson: '1', requestId: rid() }),
        'INVALID_ARGUMENT',
        /^scope: /,
      ],
      [
        () => admin.putContext({ scope: 'team/a/b', key: 'a', valueJson: '1', requestId: rid() }),
        'INVALID_ARGUMENT',
        /^scope: /,
      ],
      [() => admin.putContext({ scope, key: 'a/b', valueJson: '1', requestId: rid() }), 'INVALID_ARGUMENT', /^key: /],
      [
        () => admin.putContext({ scope, key: 'k'.repeat(129), valueJson: '1', requestId: rid() }),
        'INVALID_ARGUMENT',
        /^key: /,
      ],
      [
        () => admin.putContext({ scope, key: 'a', valueJson: '{"a":', requestId: rid() }),
        'INVALID_ARGUMENT',
        /^value_json: is not JSON/,
      ],
      [
        () => admin.putContext({ scope, key: 'a', valueJson: '', requestId: rid() }),
        'INVALID_ARGUMENT',
        /^value_json: is required/,
      ],
      [
        () => admin.putContext({ scope, key: 'a', valueJson: JSON.stringify('x'.repeat(64 * 1024)), requestId: rid() }),
        'INVALID_ARGUMENT',
        /^value_json: must be at most 65536 bytes/,
      ],
      [() => admin.putContext({ scope, key: 'a', valueJson: '1' }), 'INVALID_ARGUMENT', /^request_id: /],
      [() => admin.getContext({ scope, key: 'a', version: -1 }), 'INVALID_ARGUMENT', /^version: /],
      [() => admin.listContext({ scope, keyPrefix: 'a*' }), 'INVALID_ARGUMENT', /^key_prefix: /],
      [() => admin.listContext({ scope, pageToken: 'nonsense' }), 'INVALID_ARGUMENT', /^page_token: /],
      [() => admin.getContext({ scope, key: 'never' }), 'NOT_FOUND', /never/],
      [() => admin.deleteContext({ scope, key: 'never', requestId: rid() }), 'NOT_FOUND', /never/],
      [
        () => admin.putContext({ scope, key: 'fresh', valueJson: '1', expectedVersion: 2, requestId: rid() }),
        'ABORTED',
        /^expected_version 2 is stale: the entry does not exist/,
      ],
      [
        () => viewer.putContext({ scope, key: 'a', valueJson: '1', requestId: rid() }),
        'PERMISSION_DENIED',
        /context\.write/,
      ],
    ];
    for (const [call, code, message] of cases) {
      const err = await failure(call());
      expect([err.code, err.details]).toEqual([code, expect.stringMatching(message)]);
    }
    // Exactly 64 KiB is accepted.
    const big = JSON.stringify('x'.repeat(64 * 1024 - 2));
    expect((await admin.putContext({ scope, key: 'big', valueJson: big, requestId: rid() })).valueJson).toBe(big);

    // A stale version: ABORTED, and nothing written.
    const v1 = await admin.putContext({ scope, key: 'a', valueJson: '1', requestId: rid() });
    await admin.putContext({ scope, key: 'a', valueJson: '2', expectedVersion: 1, requestId: rid() });
    const stale = await failure(
      admin.putContext({ scope, key: 'a', valueJson: '3', expectedVersion: 1, requestId: rid() }),
    );
    expect([stale.code, stale.details]).toEqual([
      'ABORTED',
      'expected_version 1 is stale: the entry is at version 2; read it again and retry',
    ]);
    expect(
      (await failure(admin.putContext({ scope, key: 'a', valueJson: '3', expectedVersion: 0, requestId: rid() }))).code,
    ).toBe('ABORTED');
    expect((await admin.getContext({ scope, key: 'a' })).version).toBe(2);
    expect(v1.version).toBe(1);

    // WatchContext checks its fields before it streams anything.
    for (const [request, field] of [
      [{ scope: 'nope' }, 'scope'],
      [{ scope, keyPrefix: 'a b' }, 'key_prefix'],
    ] as const) {
      const watch = new ContextWatch(admin.watchContext(request));
      await expect(watch.waitFor(1, { timeoutMs: 10_000 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(watch.failure?.details).toMatch(new RegExp(`^${field}: `));
    }
  });

  it('a retried PutContext (same request_id) gets the same reply and records one event', async () => {
    const scope = team();
    const request = { scope, key: 'once', valueJson: '{"x":1}', requestId: rid() };
    const first = await admin.putContext(request);
    const second = await admin.putContext(request);
    expect(second).toEqual(first);
    await admin.putContext({ ...request, valueJson: '{"x":2}', requestId: rid() });
    // Even after a later version, the retry answers what it made.
    expect(await admin.putContext(request)).toEqual(first);
    const events = await t.client.audit.listEvents({
      eventTypes: ['ContextPut'],
      afterPosition: first.logPosition - 1,
      minPosition: first.logPosition + 1,
      pageSize: 1000,
    });
    const ours = events.events.filter((e) => (JSON.parse(e.dataJson) as { scope: string }).scope === scope);
    expect(ours.map((e) => (JSON.parse(e.dataJson) as { version: number }).version)).toEqual([1, 2]);
    // The same request_id for another entry is refused.
    const reused = await failure(admin.putContext({ ...request, key: 'other' }));
    expect([reused.code, reused.details]).toEqual(['INVALID_ARGUMENT', expect.stringMatching(/^request_id: /)]);
  });

  it('50 concurrent read-modify-write PutContexts with the version each saw: no lost update, losers ABORTED', async () => {
    const scope = team();
    const start = await admin.putContext({ scope, key: 'counter', valueJson: '{"n":0}', requestId: rid() });
    const figures = await readModifyWriteRace([admin, operator, manager], scope, 'counter', 50);
    expect(figures.otherFailures).toEqual([]);
    expect(JSON.parse(figures.final.valueJson)).toMatchObject({ n: 50 });
    expect(figures.final.version).toBe(start.version + 50);
    expect(figures.puts).toBe(50 + figures.aborted);
    expect(figures.aborted).toBeGreaterThan(0);
    console.log(
      `context race (1 resources instance): 50 writers, ${figures.puts} puts, ${figures.aborted} ABORTED, at most ${figures.maxTries} tries`,
    );
  });

  it('WatchContext sends each change once, in log order; after_position replays then follows live', async () => {
    const scope = team();
    // A change before any watch starts: only the replaying watch sees it.
    const before = await admin.putContext({ scope, key: 'k0', valueJson: '{"i":0}', requestId: rid() });
    const live = new ContextWatch(admin.watchContext({ scope }));
    const prefixed = new ContextWatch(viewer.watchContext({ scope, keyPrefix: 'k1' }));
    await Promise.all([waitUntilWatching(live, scope, 'marker'), waitUntilWatching(prefixed, scope, 'k1-marker')]);

    const keys = ['k1', 'k2', 'k3'];
    const rounds = 8;
    const writers = [admin, operator, manager];
    // Each writer puts every key in turn, unconditionally: versions interleave across keys and writers.
    const made: ContextEntry[] = [];
    await Promise.all(
      writers.map(async (w, wi) => {
        for (let round = 0; round < rounds; round++) {
          for (const key of keys) {
            made.push(
              await w.putContext({ scope, key, valueJson: JSON.stringify({ round, by: wi }), requestId: rid() }),
            );
          }
        }
      }),
    );
    made.push(await operator.deleteContext({ scope, key: 'k2', requestId: rid() }));
    const expected = made.sort((a, b) => a.logPosition - b.logPosition);
    expect(expected).toHaveLength(keys.length * rounds * writers.length + 1);

    const seen = (await live.waitFor(expected.length, { where: notMarker })).map((c) => c.entry!);
    // Exactly what each write replied, in log order, nothing twice.
    expect(seen).toEqual(expected);
    for (const key of keys) {
      const versions = seen.filter((e) => e.key === key).map((e) => e.version);
      expect(versions).toEqual(
        Array.from({ length: rounds * writers.length + (key === 'k2' ? 1 : 0) }, (_, i) => i + 1),
      );
    }
    expect(seen.at(-1)).toMatchObject({ key: 'k2', deleted: true, valueJson: '' });
    const k1 = expected.filter((e) => e.key === 'k1');
    expect((await prefixed.waitFor(k1.length, { where: notMarker })).map((c) => c.entry)).toEqual(k1);

    // From a position in the past: the earlier changes first, then live ones.
    const replay = new ContextWatch(manager.watchContext({ scope, afterPosition: before.logPosition - 1 }));
    const history = (await replay.waitFor(expected.length + 1, { where: notMarker })).map((c) => c.entry!);
    expect(history).toEqual([before, ...expected]);
    const later = await admin.putContext({ scope, key: 'k3', valueJson: '"later"', requestId: rid() });
    const all = (await replay.waitFor(expected.length + 2, { where: notMarker })).map((c) => c.entry!);
    expect(all.at(-1)).toEqual(later);
    // Waiting a moment more brings nothing twice, on any of the three.
    await new Promise((r) => setTimeout(r, 500));
    expect(replay.changes.filter(notMarker)).toHaveLength(expected.length + 2);
    expect(live.changes.filter(notMarker)).toHaveLength(expected.length + 1);
    expect(prefixed.changes.filter(notMarker)).toHaveLength(k1.length);
    for (const w of [live, prefixed, replay]) {
      const positions = w.changes.map((c) => c.entry!.logPosition);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(new Set(positions).size).toBe(positions.length);
    }

    for (const w of [live, prefixed, replay]) w.cancel();
    expect([live.failure, prefixed.failure, replay.failure]).toEqual([undefined, undefined, undefined]);
    console.log(
      `context watch: ${expected.length} changes by ${writers.length} writers on ${keys.length} keys seen once each, in order, by 3 watches`,
    );
  });
  it("a watch after ListContext's position gets exactly the changes the list does not hold", async () => {
    const scope = team();
    await admin.putContext({ scope, key: 'kept', valueJson: '1', requestId: rid() });
    await admin.putContext({ scope, key: 'gone', valueJson: '1', requestId: rid() });
    const gone = await admin.deleteContext({ scope, key: 'gone', requestId: rid() });
    // Through the gateway, min_position as a client that wrote would pass it.
    const listed = await viewer.listContext({ scope, minPosition: gone.logPosition });
    expect(listed.entries.map((e) => e.key)).toEqual(['kept']);
    // The deleted key is not listed, yet its changes are at or before the position: the watch does not repeat them.
    expect(listed.position).toBeGreaterThanOrEqual(gone.logPosition);
    const watch = new ContextWatch(viewer.watchContext({ scope, afterPosition: listed.position }));
    const next = await admin.putContext({ scope, key: 'new', valueJson: '2', requestId: rid() });
    expect((await watch.waitFor(1)).map((c) => c.entry)).toEqual([next]);
    await new Promise((r) => setTimeout(r, 500));
    expect(watch.changes).toHaveLength(1);
    watch.cancel();
    expect(watch.failure).toBeUndefined();
  });

  it('a cancelled watch closes its log consumer', async () => {
    const nc = await connect({ servers: t.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      const consumers = async () => (await jsm.streams.info('AOS_EVENTS')).state.consumer_count;
      const scope = team();
      const baseline = await consumers();
      const watches = Array.from({ length: 5 }, () => new ContextWatch(viewer.watchContext({ scope })));
      await Promise.all(watches.map((w, i) => waitUntilWatching(w, scope, `c${i}-marker`)));
      expect(await consumers()).toBeGreaterThanOrEqual(baseline + 5);
      for (const w of watches) w.cancel();
      await eventually(async () => expect(await consumers()).toBe(baseline));
      expect(watches.map((w) => w.failure)).toEqual(watches.map(() => undefined));
    } finally {
      await nc.close();
    }
  });
});

const notMarker = (c: ContextChange) => !c.entry!.key.endsWith('marker');

/**
 * A watch "from now" starts at the head it reads when the call begins, which
 * the client cannot observe: put a marker entry until the watch reports one.
 */
async function waitUntilWatching(watch: ContextWatch, scope: string, key: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await admin.putContext({ scope, key, valueJson: String(i), requestId: rid() });
    try {
      await watch.waitFor(1, { timeoutMs: 200 });
      return;
    } catch (err) {
      if (watch.failure) throw err;
    }
  }
  throw new Error(`the watch did not see its marker ${key}`);
}

async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
