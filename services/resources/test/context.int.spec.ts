import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_CATEGORY, type ContextEntry } from '@aos/contracts';
import { AosError } from '@aos/errors';
import { ConcurrencyError, createEventStore, type EventStore, type Subscription } from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { ResourceAccess } from '../src/resource-access';
import { ContextHandler, requestFacts } from '../src/context/context.handler';
import { VALUES_KEPT } from '../src/context/context.projection';
import { contextStreamId } from '../src/context/context.ids';
import { ContextProjection } from '../src/context/context.projection';
import {
  validateGetContext,
  validateListContext,
  validatePutContext,
  type PutContextMutation,
} from '../src/context/context.validation';

/**
 * Two context handlers — two resources instances, each with its own
 * connection, subscription and in-memory model — against one real
 * nats-server: the expected version must hold across them, because each
 * decides on its own model and only the log's expected revision arbitrates.
 * Each also has its own access model from the governance events in the log
 * (a list shows only the entries the caller may read): alice and carol are
 * viewers of the tenant.
 */
interface Instance {
  store: EventStore;
  projection: ContextProjection;
  handler: ContextHandler;
  subscription: Subscription;
  /** The access model's subscriptions to the governance categories. */
  governance: Subscription[];
  /** Appends the log refused because another writer had taken the revision first. */
  conflicts: number;
}

let nats: NatsServerHandle;
let reader: EventStore;
const instances: Instance[] = [];
const tenantId = `t${randomUUID().slice(0, 8)}`;
const ctx = (who = 'alice'): RequestContext => ({
  tenantId,
  actor: { kind: 'user', id: who },
  correlationId: randomUUID(),
});

async function startInstance(url: string): Promise<Instance> {
  const store = await createEventStore({ kind: 'jetstream', natsUrl: url });
  const projection = new ContextProjection();
  const instance = { conflicts: 0 } as Instance;
  const governance: Subscription[] = [];
  const access = ResourceAccess.follow(
    {
      follow: (_name, filter, apply) => {
        const followed = store.subscribe({ after: 0, filter }, apply);
        governance.push(followed);
        return followed;
      },
      isFollowing: () => true,
    },
    (message) => console.warn(message),
  );
  const handler = new ContextHandler({
    // The log as the pipeline uses it, counting the appends it refuses.
    store: {
      headPosition: () => store.headPosition(),
      readStream: (stream, options) => store.readStream(stream, options),
      append: (stream, events, options) =>
        store.append(stream, events, options).catch((err: unknown) => {
          if (err instanceof ConcurrencyError) instance.conflicts += 1;
          throw err;
        }),
    },
    projection,
    access,
    follower: { waitFor: (position, timeoutMs) => subscription.waitFor(position, timeoutMs) },
    isFollowing: () => true,
  });
  const subscription = store.subscribe({ after: 0, filter: { category: CONTEXT_CATEGORY } }, (event) => {
    projection.apply(event);
    handler.pipeline.requests.apply(requestFacts(event));
  });
  await Promise.all([subscription.caughtUp, ...governance.map((g) => g.caughtUp)]);
  return Object.assign(instance, { store, projection, handler, subscription, governance });
}

/** Appends one governance event of the tenant (as the governance service records it). */
async function governanceEvent(
  category: 'tenant' | 'policy',
  type: 'TenantCreated' | 'RoleAssigned' | 'PolicyRuleAdded',
  data: object,
): Promise<number> {
  const { position } = await reader.append({ tenantId, category, id: tenantId }, [
    {
      id: randomUUID(),
      type,
      data,
      metadata: {
        tenantId,
        actor: { kind: 'user', id: 'admin' },
        correlationId: randomUUID(),
        causationId: randomUUID(),
        requestId: randomUUID(),
        schemaVersion: 1,
      },
    },
  ]);
  return position;
}

beforeAll(async () => {
  nats = await startNatsServer();
  reader = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  await governanceEvent('tenant', 'TenantCreated', { tenantId, displayName: 'context test' });
  for (const who of ['alice', 'carol']) {
    await governanceEvent('policy', 'RoleAssigned', {
      bindingId: randomUUID(),
      subject: `user:${who}`,
      role: 'viewer',
    });
  }
  instances.push(await startInstance(nats.url), await startInstance(nats.url));
});

afterAll(async () => {
  for (const i of instances) {
    await i.subscription.close();
    for (const g of i.governance) await g.close();
    await i.store.close();
  }
  await reader?.close();
  await nats?.stop();
});

const put = (m: Partial<PutContextMutation> & { key: string }) =>
  validatePutContext({ scope: 'tenant', valueJson: '{}', requestId: randomUUID(), ...m });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'OK',
    (e: unknown) => (e instanceof AosError ? e.code : String(e)),
  );
}

describe('shared context across two resources instances', () => {
  // First: it needs a log with no context event yet.
  it("says the log position a list reflects: the log's head before any change, then its newest change", async () => {
    const [a, b] = instances;
    const scope = `team/pos-${randomUUID().slice(0, 8)}`;
    const list = (i: Instance, minPosition = 0) =>
      i.handler.list(ctx(), validateListContext({ scope, minPosition } as never));
    expect(a!.projection.position).toBe(0);
    // No context change yet: not 0 (WatchContext's "from now"), but the head the model has reached.
    const empty = await list(a!);
    expect(empty.entries).toEqual([]);
    expect(empty.position).toBe(await reader.headPosition());
    expect(empty.position).toBeGreaterThan(0);

    const first = await a!.handler.put(ctx(), put({ scope, key: 'k1' }));
    expect(first.logPosition).toBeGreaterThan(empty.position);
    const afterFirst = await list(a!);
    expect([afterFirst.entries.map((e) => e.key), afterFirst.position]).toEqual([['k1'], first.logPosition]);
    // A later event of another kind changes nothing the list shows: the position stays the change's.
    const policy = await governanceEvent('tenant', 'TenantCreated', { tenantId, displayName: 'again' });
    expect((await list(a!)).position).toBe(first.logPosition);
    // With min_position the list reflects at least that position.
    expect((await list(b!, policy)).position).toBe(policy);

    // A deleted entry is not listed, yet its change is at or before the position: a watch after it does not repeat it.
    await a!.handler.put(ctx(), put({ scope, key: 'k0' }));
    const deleted = await a!.handler.delete(ctx(), {
      scope,
      key: 'k0',
      requestId: randomUUID(),
      expectedVersion: undefined,
    });
    const listed = await list(b!, deleted.logPosition);
    expect([listed.entries.map((e) => e.key), listed.position]).toEqual([['k1'], deleted.logPosition]);
    const later = await a!.handler.put(ctx(), put({ scope, key: 'k2' }));
    expect(later.logPosition).toBeGreaterThan(listed.position);
  });

  it('50 read-modify-write clients over both instances: no lost update, every loss ABORTED', async () => {
    const key = `counter-${randomUUID().slice(0, 8)}`;
    const [a, b] = instances;
    await a!.handler.put(ctx(), put({ key, valueJson: '{"n":0}' }));
    const failures: string[] = [];
    const conflictsBefore = a!.conflicts + b!.conflicts;
    let firstRoundOk = 0;
    let lastPosition = 0;
    const client = async (i: number) => {
      const via = (i % 2 === 0 ? a : b)!.handler;
      for (let attempt = 1; ; attempt++) {
        const seen = await via.get(ctx(), validateGetContext({ scope: 'tenant', key, version: 0, minPosition: 0 }));
        const n = (JSON.parse(seen.valueJson) as { n: number }).n;
        const mutation = put({ key, valueJson: JSON.stringify({ n: n + 1 }), expectedVersion: seen.version });
        const code = await codeOf(
          via.put(ctx(`writer-${i}`), mutation).then((made) => {
            lastPosition = Math.max(lastPosition, made.logPosition);
          }),
        );
        if (code === 'OK') {
          if (attempt === 1) firstRoundOk += 1;
          return attempt;
        }
        failures.push(code);
      }
    };
    const attempts = await Promise.all(Array.from({ length: 50 }, (_, i) => client(i)));

    // Read through the instance that may not have applied the other's last write yet: min_position waits for it.
    const final = await a!.handler.get(
      ctx(),
      validateGetContext({ scope: 'tenant', key, version: 0, minPosition: lastPosition }),
    );
    expect(JSON.parse(final.valueJson)).toEqual({ n: 50 });
    expect(final.version).toBe(51);
    expect(new Set(failures)).toEqual(failures.length > 0 ? new Set(['ABORTED']) : new Set());
    expect(failures.length).toBeGreaterThan(0);
    const events = await reader.readStream({
      tenantId,
      category: CONTEXT_CATEGORY,
      id: contextStreamId('tenant', key),
    });
    expect(events.map((e) => (e.data as { version: number }).version)).toEqual(
      Array.from({ length: 51 }, (_, i) => i + 1),
    );
    // Each value is its predecessor's counter + 1: nothing was written over a version it did not see.
    expect(events.map((e) => (JSON.parse((e.data as { valueJson: string }).valueJson) as { n: number }).n)).toEqual(
      Array.from({ length: 51 }, (_, i) => i),
    );
    // Some losses were decided by the log itself: both instances had decided on the same version.
    const conflicts = a!.conflicts + b!.conflicts - conflictsBefore;
    expect(conflicts).toBeGreaterThan(0);
    console.log(
      `context race (2 instances): 50 writers, ${50 + failures.length} puts, ${failures.length} ABORTED ` +
        `(${conflicts} of them appends the log refused), ${firstRoundOk} won on their first try, ` +
        `at most ${Math.max(...attempts)} tries`,
    );
  });

  it('50 writers of one version at once over both instances: exactly one wins, 49 ABORTED', async () => {
    const key = `once-${randomUUID().slice(0, 8)}`;
    const first = await instances[1]!.handler.put(ctx(), put({ key }));
    const conflictsBefore = instances[0]!.conflicts + instances[1]!.conflicts;
    // Both models have version 1 before the race starts.
    await Promise.all(instances.map((i) => i.subscription.waitFor(first.logPosition)));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        codeOf(instances[i % 2]!.handler.put(ctx(), put({ key, valueJson: `{"w":${i}}`, expectedVersion: 1 }))),
      ),
    );
    const counts = results.reduce<Record<string, number>>((c, r) => ({ ...c, [r]: (c[r] ?? 0) + 1 }), {});
    expect(counts).toEqual({ OK: 1, ABORTED: 49 });
    // Each instance let one writer through to the log; the log took one of the two.
    expect(instances.map((i) => i.conflicts).reduce((x, y) => x + y) - conflictsBefore).toBe(1);
    const events = await reader.readStream({
      tenantId,
      category: CONTEXT_CATEGORY,
      id: contextStreamId('tenant', key),
    });
    expect(events).toHaveLength(2);
  });

  it('a retry through the other instance gets the first reply, and one event', async () => {
    const key = `retry-${randomUUID().slice(0, 8)}`;
    const mutation = put({ key, valueJson: '{"a":1}' });
    const first = await instances[0]!.handler.put(ctx(), mutation);
    // A later version does not change what the retry answers.
    await instances[0]!.handler.put(ctx(), put({ key, valueJson: '{"a":2}' }));
    const again = await instances[1]!.handler.put(ctx(), mutation);
    expect(again).toEqual(first);
    expect(first).toMatchObject({ version: 1, valueJson: '{"a":1}', updatedBy: 'user:alice' });
    const events = await reader.readStream({
      tenantId,
      category: CONTEXT_CATEGORY,
      id: contextStreamId('tenant', key),
    });
    expect(events).toHaveLength(2);
    // The same request_id for another key is the caller's mistake.
    expect(await codeOf(instances[1]!.handler.put(ctx(), { ...mutation, key: `${key}-other` }))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('serves every version by reference: one stored value per version, old ones readable', async () => {
    const key = `ref-${randomUUID().slice(0, 8)}`;
    const [a] = instances;
    const v1 = await a!.handler.put(ctx(), put({ key, valueJson: '{"text":"first"}' }));
    await a!.handler.put(ctx('bob'), put({ key, valueJson: '{"text":"second"}' }));
    const record = a!.projection.entry(tenantId, contextStreamId('tenant', key))!;
    const atOne = await a!.handler.get(ctx(), validateGetContext({ scope: 'tenant', key, version: 1, minPosition: 0 }));
    expect(atOne).toEqual(v1);
    // The request index keeps which version a request made, not a second reference to its value.
    const step = a!.handler.pipeline.requests.get(
      tenantId,
      (
        await reader.readStream({
          tenantId,
          category: CONTEXT_CATEGORY,
          id: contextStreamId('tenant', key),
        })
      )[1]!.metadata.requestId,
    )!;
    expect(step[0]!.data).toMatchObject({ version: 2 });
    expect(step[0]!.data).not.toHaveProperty('valueJson');
    expect(record.versions[1]!.valueJson).toBe('{"text":"second"}');
    const current: ContextEntry = await a!.handler.get(
      ctx(),
      validateGetContext({ scope: 'tenant', key, version: 0, minPosition: 0 }),
    );
    expect(current).toMatchObject({ version: 2, updatedBy: 'user:bob', createTime: v1.createTime });
  });

  it(`keeps the values of the newest ${VALUES_KEPT} versions in memory and reads older ones, and old retries, from the log`, async () => {
    const key = `window-${randomUUID().slice(0, 8)}`;
    const [a, b] = instances;
    const first = put({ key, valueJson: '{"n":1}' });
    const v1 = await a!.handler.put(ctx(), first);
    for (let n = 2; n <= VALUES_KEPT + 4; n++) await a!.handler.put(ctx(), put({ key, valueJson: `{"n":${n}}` }));
    const record = a!.projection.entry(tenantId, contextStreamId('tenant', key))!;
    expect(record.versions.filter((v) => v.valueInLog).map((v) => v.version)).toEqual([1, 2, 3, 4]);
    const get = (version: number) =>
      a!.handler.get(ctx(), validateGetContext({ scope: 'tenant', key, version, minPosition: 0 }));
    expect(await get(1)).toEqual(v1);
    expect((await get(4)).valueJson).toBe('{"n":4}');
    expect((await get(0)).valueJson).toBe(`{"n":${VALUES_KEPT + 4}}`);
    // A retry of the first request, long after, through either instance: the first reply, value included.
    expect(await a!.handler.put(ctx(), first)).toEqual(v1);
    expect(await b!.handler.put(ctx(), first)).toEqual(v1);
  });

  it("keeps tenants apart: another tenant's entry of the same scope and key is not there", async () => {
    const key = `mine-${randomUUID().slice(0, 8)}`;
    const [a] = instances;
    const other: RequestContext = { ...ctx(), tenantId: `${tenantId}-other` };
    await a!.handler.put(ctx(), put({ key, valueJson: '"secret"' }));
    const query = validateGetContext({ scope: 'tenant', key, version: 0, minPosition: 0 });
    expect(await codeOf(a!.handler.get(other, query))).toBe('NOT_FOUND');
    expect((await a!.handler.list(other, validateListContext({ scope: 'tenant' } as never))).entries).toEqual([]);
    // The other tenant's first version of the same key is its own version 1.
    expect((await a!.handler.put(other, put({ key, valueJson: '"theirs"', expectedVersion: 0 }))).version).toBe(1);
    expect((await a!.handler.get(ctx(), query)).valueJson).toBe('"secret"');
  });

  it('lists the scope by key, without deleted entries, in pages', async () => {
    const scope = `team/list-${randomUUID().slice(0, 8)}`;
    const [a] = instances;
    for (const key of ['c', 'a', 'b', 'x.1', 'x.2']) await a!.handler.put(ctx(), put({ scope, key }));
    await a!.handler.delete(ctx(), { scope, key: 'b', requestId: randomUUID(), expectedVersion: undefined });
    const page1 = await a!.handler.list(ctx(), validateListContext({ scope, pageSize: 2 } as never));
    expect(page1.entries.map((e) => e.key)).toEqual(['a', 'c']);
    const page2 = await a!.handler.list(
      ctx(),
      validateListContext({ scope, pageSize: 2, pageToken: page1.nextPageToken } as never),
    );
    expect(page2.entries.map((e) => e.key)).toEqual(['x.1', 'x.2']);
    expect(page2.nextPageToken).toBe('');
    const prefixed = await a!.handler.list(ctx(), validateListContext({ scope, keyPrefix: 'x.' } as never));
    expect(prefixed.entries.map((e) => e.key)).toEqual(['x.1', 'x.2']);
    expect(() => validateListContext({ scope, keyPrefix: 'x.', pageToken: page1.nextPageToken } as never)).toThrow(
      /page_token: was issued for a different filter/,
    );
  });

  it('lists only the entries the caller may read: a DENY on one key leaves full pages and right tokens', async () => {
    const scope = `team/deny-${randomUUID().slice(0, 8)}`;
    const [a, b] = instances;
    for (const key of ['a', 'b', 'c', 'd', 'e']) await a!.handler.put(ctx(), put({ scope, key }));
    let rulePosition = 0;
    for (const key of ['b', 'e']) {
      rulePosition = await governanceEvent('policy', 'PolicyRuleAdded', {
        ruleId: randomUUID(),
        subject: 'user:alice',
        action: 'context.read',
        resource: `ctx/${scope}/${key}`,
        effect: 'DENY',
        requiresApproval: false,
      });
    }
    // Through the other instance, with the rule's position: its access model has applied the rules.
    const list = (who: string, pageToken = '') =>
      b!.handler.list(
        ctx(who),
        validateListContext({ scope, pageSize: 2, pageToken, minPosition: rulePosition } as never),
      );
    const page1 = await list('alice');
    expect(page1.entries.map((e) => e.key)).toEqual(['a', 'c']);
    const page2 = await list('alice', page1.nextPageToken);
    // The last key is denied too: no token to an empty page.
    expect([page2.entries.map((e) => e.key), page2.nextPageToken]).toEqual([['d'], '']);
    // Another viewer, whom the rules do not name, sees every key.
    const carol = [
      ...(await list('carol')).entries,
      ...(await list('carol', (await list('carol')).nextPageToken)).entries,
    ];
    expect(carol.map((e) => e.key)).toEqual(['a', 'b', 'c', 'd']);
    // Someone without a role reads nothing.
    expect((await b!.handler.list(ctx('mallory'), validateListContext({ scope } as never))).entries).toEqual([]);
  });
});
