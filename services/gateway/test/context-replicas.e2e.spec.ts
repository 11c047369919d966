import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_CATEGORY, type ContextChange, type ContextEntry } from '@aos/contracts';
import type { RecordedEvent } from '@aos/event-store';
import { startClusterTestStack, type ClusterTestStack } from '@aos/testing';
import { ContextWatch, readModifyWriteRace } from './support/context-fixtures';

/**
 * Shared context with two instances of every service (two resources
 * instances, each deciding on its own in-memory model, and two gateways) on
 * a 3-node JetStream cluster: only the log's expected revision stands between
 * two writers of one version.
 */
let stack: ClusterTestStack;

beforeAll(async () => {
  stack = await startClusterTestStack();
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

const rid = () => randomUUID();

async function eventsOf(scope: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const e of stack.store.readAll({ filter: { tenantId: 'default', category: CONTEXT_CATEGORY } })) {
    if ((e.data as { scope: string }).scope === scope) events.push(e);
  }
  return events;
}

describe('shared context over two instances of every service', () => {
  it('50 read-modify-write writers through both gateways: no lost update, every loss ABORTED; one watch sees it all once', async () => {
    const { t } = stack;
    const [viaA, viaB] = [t.clientOf(0).context, t.clientOf(1).context];
    const scope = `team/r-${rid().slice(0, 8)}`;
    const start = await viaA.putContext({ scope, key: 'counter', valueJson: '{"n":0}', requestId: rid() });
    const watch = new ContextWatch(viaB.watchContext({ scope, afterPosition: start.logPosition - 1 }));

    const figures = await readModifyWriteRace([viaA, viaB], scope, 'counter', 50);
    expect(figures.otherFailures).toEqual([]);
    expect(JSON.parse(figures.final.valueJson)).toMatchObject({ n: 50 });
    expect(figures.final.version).toBe(51);
    expect(figures.puts).toBe(50 + figures.aborted);

    // The log holds versions 1..51, each value its predecessor's counter + 1.
    const events = await eventsOf(scope);
    expect(events.map((e) => (e.data as { version: number }).version)).toEqual(
      Array.from({ length: 51 }, (_, i) => i + 1),
    );
    const counters = events.map((e) => (JSON.parse((e.data as { valueJson: string }).valueJson) as { n: number }).n);
    expect(counters).toEqual(Array.from({ length: 51 }, (_, i) => i));

    // The watch (through the other gateway) saw every version once, in order, as the log has it.
    const seen = (await watch.waitFor(51)).map((c: ContextChange) => c.entry as ContextEntry);
    expect(seen.map((e) => e.version)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    expect(seen.map((e) => e.logPosition)).toEqual(events.map((e) => e.position));
    expect(seen[0]).toEqual(start);
    await new Promise((r) => setTimeout(r, 300));
    expect(watch.changes).toHaveLength(51);
    watch.cancel();
    console.log(
      `context race (2 resources instances, 2 gateways, 3-node R3 log): 50 writers, ${figures.puts} puts, ` +
        `${figures.aborted} ABORTED, at most ${figures.maxTries} tries; the watch saw 51 versions once each`,
    );
  });
});
