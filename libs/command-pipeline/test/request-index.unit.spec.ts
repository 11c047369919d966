import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '@aos/event-store';
import { RequestIndex, lastPositionOf } from '../src';

let position = 0;
function recorded(category: string, streamId: string, requestId: string, tenantId = 'acme'): RecordedEvent {
  position += 1;
  return {
    id: `e${position}`,
    type: `${category}Changed`,
    data: { n: position },
    stream: `${category}-${streamId}`,
    category,
    streamId,
    revision: 0,
    position,
    time: new Date(1_700_000_000_000 + position).toISOString(),
    metadata: {
      tenantId,
      actor: { kind: 'user', id: 'alice' },
      correlationId: 'c',
      causationId: requestId,
      requestId,
      schemaVersion: 1,
    },
  };
}

describe('RequestIndex', () => {
  it("keeps each request's events of the writer's own categories, in order, once", () => {
    const index = new RequestIndex(['widget']);
    const first = recorded('widget', 'w1', 'r1');
    const second = recorded('widget', 'w2', 'r1');
    for (const event of [first, recorded('gadget', 'g1', 'r1'), second, second]) index.apply(event);
    const steps = index.get('acme', 'r1')!;
    expect(steps.map((s) => [s.streamId, s.position])).toEqual([
      ['w1', first.position],
      ['w2', second.position],
    ]);
    expect(lastPositionOf(steps)).toBe(second.position);
    // Another writer's request id, or another tenant's, is not this writer's.
    index.apply(recorded('gadget', 'g2', 'r2'));
    expect(index.get('acme', 'r2')).toBeUndefined();
    expect(index.get('globex', 'r1')).toBeUndefined();
  });

  it('keeps what the snapshot function returned right after each event', () => {
    let version = 0;
    const index = new RequestIndex(['widget'], () => ({ version: ++version }));
    index.apply(recorded('widget', 'w1', 'a'));
    index.apply(recorded('widget', 'w1', 'b'));
    expect(index.get('acme', 'a')![0]!.after).toEqual({ version: 1 });
    expect(index.get('acme', 'b')![0]!.after).toEqual({ version: 2 });
  });
});
