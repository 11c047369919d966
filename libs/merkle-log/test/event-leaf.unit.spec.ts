import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '@aos/event-store';
import { eventLeaf, eventLeafInput, leafHash } from '../src';

// Typed as the event store's RecordedEvent: typecheck fails if the two shapes part.
const event: RecordedEvent = {
  id: '0b5c3f2e-8f4e-4a57-9d55-2f4f9e0c1a01',
  type: 'AgentCreated',
  stream: 'agent-a1',
  category: 'agent',
  streamId: 'a1',
  revision: 0,
  position: 42,
  time: '2026-12-05T21:00:00.000Z',
  data: { name: 'triage', tools: ['search'], budget: { micros: 1500000 } },
  metadata: {
    tenantId: 't1',
    actor: { kind: 'user', id: 'u1' },
    correlationId: 'c1',
    causationId: 'c0',
    requestId: 'r1',
    schemaVersion: 1,
  },
};

describe('eventLeaf: the leaf of a recorded event', () => {
  it('is leafHash of the RFC 8785 canonical JSON of the envelope and data', () => {
    const expected =
      '{"category":"agent","data":{"budget":{"micros":1500000},"name":"triage","tools":["search"]},' +
      '"id":"0b5c3f2e-8f4e-4a57-9d55-2f4f9e0c1a01","metadata":{"actor":{"id":"u1","kind":"user"},' +
      '"causationId":"c0","correlationId":"c1","requestId":"r1","schemaVersion":1,"tenantId":"t1"},' +
      '"position":42,"revision":0,"stream":"agent-a1","streamId":"a1","time":"2026-12-05T21:00:00.000Z",' +
      '"type":"AgentCreated"}';
    expect(eventLeafInput(event).toString('utf8')).toBe(expected);
    const sha = createHash('sha256')
      .update(Buffer.concat([Buffer.from([0]), Buffer.from(expected)]))
      .digest();
    expect(eventLeaf(event).equals(sha)).toBe(true);
    expect(eventLeaf(event).equals(leafHash(Buffer.from(expected)))).toBe(true);
  });

  it('does not depend on key order or on properties outside the envelope', () => {
    const reversed = (o: object): object =>
      Object.fromEntries(
        Object.entries(o)
          .reverse()
          .map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? reversed(v) : v]),
      );
    const reordered = reversed(event) as RecordedEvent;
    expect(Object.keys(reordered)[0]).toBe('metadata');
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(event));
    expect(eventLeaf(reordered).equals(eventLeaf(event))).toBe(true);
    const decorated = { ...event, receivedAt: Date.now() } as RecordedEvent;
    expect(eventLeaf(decorated).equals(eventLeaf(event))).toBe(true);
  });

  it('changes with every hashed field: position and revision included, so a moved event is detected', () => {
    const variants: Record<string, RecordedEvent> = {
      id: { ...event, id: 'other' },
      type: { ...event, type: 'AgentUpdated' },
      stream: { ...event, stream: 'agent-a2' },
      category: { ...event, category: 'tool' },
      streamId: { ...event, streamId: 'a2' },
      revision: { ...event, revision: 1 },
      position: { ...event, position: 43 },
      time: { ...event, time: '2026-12-05T21:00:00.001Z' },
      data: { ...event, data: { ...(event.data as object), name: 'triage2' } },
      tenantId: { ...event, metadata: { ...event.metadata, tenantId: 't2' } },
      actor: { ...event, metadata: { ...event.metadata, actor: { kind: 'agent', id: 'u1' } } },
      correlationId: { ...event, metadata: { ...event.metadata, correlationId: 'c2' } },
      causationId: { ...event, metadata: { ...event.metadata, causationId: 'c9' } },
      requestId: { ...event, metadata: { ...event.metadata, requestId: 'r2' } },
      traceparent: {
        ...event,
        metadata: { ...event.metadata, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      },
      schemaVersion: { ...event, metadata: { ...event.metadata, schemaVersion: 2 } },
    };
    const leaves = new Set([eventLeaf(event).toString('hex')]);
    for (const [field, variant] of Object.entries(variants)) {
      const leaf = eventLeaf(variant).toString('hex');
      expect(leaves.has(leaf), field).toBe(false);
      leaves.add(leaf);
    }
    expect(leaves.size).toBe(17);
  });

  it('refuses data JSON cannot hold', () => {
    expect(() => eventLeaf({ ...event, data: { n: Number.NaN } })).toThrow(/NaN/);
  });
});
