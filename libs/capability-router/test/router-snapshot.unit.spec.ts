import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { CapabilityRouter, type CapabilityRouterState, type RoutableAgent } from '../src';
import { AGENTS, HISTORY, TASKS } from './routing-set';
import { LATER_HISTORY } from './routing-set-blind';

type Step = (router: CapabilityRouter) => void;

const teach =
  (items: typeof HISTORY): Step =>
  (router) => {
    for (const h of items)
      if (h.kind === 'completed') router.learnFromCompletion(h.agentId, h.text);
      else router.learnFromCorrection(h.text, h.fromAgentId, h.toAgentId);
  };

const renamed = (agent: RoutableAgent, i: number): RoutableAgent => ({
  ...agent,
  id: `${agent.id}-${i}`,
  name: `${agent.name} ${i}`,
  queueLength: i % 7,
});

/** Agents come and go (so slots and terms are freed and reused), learn, and some are left stale. */
const before: Step[] = [
  (r) => AGENTS.forEach((a) => r.upsertAgent(a)),
  (r) => AGENTS.slice(0, 10).forEach((a, i) => r.upsertAgent(renamed(a, i))),
  teach(HISTORY.slice(0, 120)),
  (r) => r.refresh(),
  (r) => ['billing', 'payroll-3', 'it-helpdesk-0'].forEach((id) => r.removeAgent(id)),
  (r) => r.upsertAgent({ ...AGENTS.find((a) => a.id === 'billing')!, description: 'invoices, refunds and dunning' }),
  (r) => AGENTS.forEach((a, i) => r.setQueueLength(a.id, (i * 3) % 11)),
  // No content word at all: empty documents, which no posting names.
  (r) => r.upsertAgent({ id: 'no-words', name: '42', description: 'the and of', capabilities: [], queueLength: 0 }),
  // Learned but not indexed yet when captured: the restored router indexes them as the captured one would.
  teach(HISTORY.slice(120)),
];

const after: Step[] = [
  teach(LATER_HISTORY.slice(0, 60)),
  (r) => r.removeAgent('sales'),
  (r) => r.removeAgent('no-words'),
  (r) => r.upsertAgent(renamed(AGENTS[3]!, 42)),
  (r) => r.upsertAgent({ ...AGENTS.find((a) => a.id === 'sales')!, capabilities: ['crm', 'demos'] }),
  (r) => r.setQueueLength('it-helpdesk', 15),
  teach(LATER_HISTORY.slice(60)),
];

const decisions = (router: CapabilityRouter) =>
  TASKS.flatMap((t, i) => [
    router.route(t.text, { topK: 10 }),
    router.route(t.text, { requiredCapabilities: [AGENTS[i % AGENTS.length]!.capabilities[0]!] }),
    router.searchIndexOnly(t.text),
  ]);

function snapshotOf(router: CapabilityRouter): CapabilityRouter {
  const copy = new CapabilityRouter();
  copy.restore(deserialize(serialize(router.capture())) as CapabilityRouterState);
  return copy;
}

/** Maps and Sets as arrays of their entries, so that toEqual compares their order too. */
function ordered(value: unknown): unknown {
  if (value instanceof Map) return [...value].map(([k, v]) => [k, ordered(v)]);
  if (value instanceof Set) return [...value];
  if (Array.isArray(value)) return value.map(ordered);
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, ordered(v)]));
  return value;
}

describe('CapabilityRouter capture/restore', () => {
  it('given a router restored from its serialized capture, when both route and learn more, then every decision is the same to the bit', () => {
    const original = new CapabilityRouter();
    for (const step of before) step(original);
    expect(original.hasStaleAgents).toBe(true);
    const restored = snapshotOf(original);
    expect(restored.size).toBe(original.size);
    expect(restored.hasStaleAgents).toBe(true);

    const first = decisions(original);
    expect(decisions(restored)).toEqual(first);
    expect(first.filter((d) => typeof d === 'object' && d?.chosenAgentId).length).toBeGreaterThan(TASKS.length);

    for (const step of after) {
      step(original);
      step(restored);
    }
    expect(decisions(restored)).toEqual(decisions(original));
    // The same state, byte for byte: slots handed out, postings in the same order, the same sums.
    expect(ordered(restored.capture())).toEqual(ordered(original.capture()));
    // And once more through a second snapshot of the restored one.
    expect(decisions(snapshotOf(restored))).toEqual(decisions(original));
  });

  it('given a router that already holds agents, when restoring, then it refuses', () => {
    const router = new CapabilityRouter({ lexicon: null });
    router.upsertAgent(AGENTS[0]!);
    expect(() => router.restore(router.capture())).toThrow(/new router/);
  });
});
