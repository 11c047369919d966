/**
 * Bench (d): routing decisions. 10,000 synthetic active agents built from the
 * routing test set's vocabulary, each with 32 learned texts from its base
 * agent's history (AOS_BENCH_LEARNED), then
 * CapabilityRouter.route() on task texts (BM25 on the words plus BM25 on
 * WordNet concepts), beside the router's BM25 index alone and MiniSearch alone
 * over the same agent texts (no WordNet, typo retry, load or filter) in the
 * same run.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import MiniSearch from 'minisearch';
import { CapabilityRouter, type RoutableAgent } from '../libs/capability-router/src';
import { AGENTS, HISTORY, TASKS } from '../libs/capability-router/test/routing-set';
import { LATER_HISTORY } from '../libs/capability-router/test/routing-set-blind';
import { formatTiming, timeSync, type Timing } from './measure';

const AGENT_COUNT = Number(process.env.AOS_BENCH_AGENTS ?? 10_000);
const DECISIONS = Number(process.env.AOS_BENCH_ROUTES ?? 5_000);
/** Completed tasks each agent has learned: the history the accuracy figure needs (32 per agent). */
const LEARNED = Number(process.env.AOS_BENCH_LEARNED ?? 32);
const TARGET_P99_MS = 5;

// mulberry32: the same fleet and tasks on every run.
function prng(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const pick = <T>(random: (n: number) => number, items: readonly T[]): T => items[random(items.length)]!;

/**
 * Agents that mix words of two or three test-set agents, so postings are long
 * and every query hits many; each is based on one test-set agent, whose
 * history it learns from.
 */
function fleet(random: (n: number) => number): { agent: RoutableAgent; baseId: string }[] {
  const vocabulary = [...new Set(AGENTS.flatMap((a) => `${a.description} ${a.capabilities.join(' ')}`.split(/\W+/)))];
  return Array.from({ length: AGENT_COUNT }, (_, i) => {
    const base = pick(random, AGENTS);
    const extra = Array.from({ length: 6 }, () => pick(random, vocabulary)).join(' ');
    const agent = {
      id: `agent-${i}`,
      name: `${base.name} ${i % 97}`,
      description: `${base.description} ${extra}`,
      capabilities: [...base.capabilities.map((c) => `${c}-${i % 13}`), pick(random, AGENTS).capabilities[0]!],
      queueLength: random(20),
    };
    return { agent, baseId: base.id };
  });
}

export async function benchRouting(): Promise<void> {
  process.stdout.write(`\n(d) routing: ${AGENT_COUNT} active agents, ${DECISIONS} task texts\n`);
  const random = prng(4242);
  const members = fleet(random);
  const agents = members.map((m) => m.agent);
  const completedBy = new Map<string, string[]>();
  for (const h of [...HISTORY, ...LATER_HISTORY])
    if (h.kind === 'completed') completedBy.set(h.agentId, [...(completedBy.get(h.agentId) ?? []), h.text]);

  const router = new CapabilityRouter();
  const lexiconStart = process.hrtime.bigint();
  router.warmUp(); // WordNet is loaded once per process; not a decision's cost
  const lexiconSeconds = Number(process.hrtime.bigint() - lexiconStart) / 1e9;
  const learnedTexts = members.map((m) =>
    Array.from({ length: LEARNED }, () => pick(random, completedBy.get(m.baseId)!)).join('\n'),
  );
  // The baseline for the router's memory: the same agents' texts alone (name, description, capabilities, learned).
  const before = settledMemory();
  const rawTexts = agents.map((a, i) =>
    Buffer.from(`${a.name}\n${a.description}\n${a.capabilities.join(' ')}\n${learnedTexts[i]!}`).toString(),
  );
  const withTexts = settledMemory();
  const buildStart = process.hrtime.bigint();
  // Learned before the agent is indexed, so each agent is indexed once (a completion's reindex is timed below).
  for (const [i, a] of agents.entries()) {
    for (const text of learnedTexts[i]!.split('\n')) router.learnFromCompletion(a.id, text);
    router.upsertAgent(a);
  }
  const buildSeconds = Number(process.hrtime.bigint() - buildStart) / 1e9;
  const built = settledMemory();
  const library = new MiniSearch<{ id: string; text: string }>({ fields: ['text'] });
  library.addAll(
    agents.map((a, i) => ({
      id: a.id,
      text: `${a.name} ${a.description} ${a.capabilities.join(' ')} ${learnedTexts[i]!}`,
    })),
  );
  process.stdout.write(
    `  WordNet loaded in ${lexiconSeconds.toFixed(2)} s; ${AGENT_COUNT} agents with ${LEARNED} learned texts each indexed in ${buildSeconds.toFixed(2)} s (${(AGENT_COUNT / buildSeconds).toFixed(0)} agents/s)\n`,
  );

  const perAgent = (from: Memory, to: Memory, key: keyof Memory) => (to[key] - from[key]) / AGENT_COUNT / 1024;
  process.stdout.write(
    `  memory per agent${gc ? '' : ' (NOT settled: run node with --expose-gc for figures after gc)'}: router ` +
      `${perAgent(withTexts, built, 'heap').toFixed(1)} KiB heap + ${perAgent(withTexts, built, 'buffers').toFixed(1)} KiB typed arrays ` +
      `(WordNet's caches filled by indexing included) vs the same agents' raw texts ${perAgent(before, withTexts, 'heap').toFixed(1)} KiB ` +
      `(${(rawTexts.reduce((n, t) => n + t.length, 0) / AGENT_COUNT / 1024).toFixed(1)} KiB of characters)\n`,
  );
  const tasks = Array.from({ length: DECISIONS }, () => pick(random, TASKS).text);
  const raw = time(DECISIONS, (i) => library.search(tasks[i]!)[0]?.id);
  const bm25 = time(DECISIONS, (i) => router.searchIndexOnly(tasks[i]!));
  const routed = time(DECISIONS, (i) => router.route(tasks[i]!));
  const filtered = time(DECISIONS, (i) =>
    router.route(tasks[i]!, { requiredCapabilities: [pick(random, AGENTS).capabilities[0]!] }),
  );
  // Learning only records the text; refresh() (or the next decision) indexes it: timed together.
  const learning = time(Math.min(DECISIONS, 2_000), (i) => {
    router.learnFromCompletion(`agent-${random(AGENT_COUNT)}`, pick(random, TASKS).text + ` ${i}`);
    router.refresh();
  });
  const churn = time(Math.min(DECISIONS, 2_000), (i) => {
    const id = `agent-${random(AGENT_COUNT)}`;
    if (i % 2 === 0) router.removeAgent(id);
    else router.upsertAgent({ ...agents[random(AGENT_COUNT)]!, id });
  });

  process.stdout.write(`${row('MiniSearch search alone, same agent texts', raw)}\n`);
  process.stdout.write(`${row("router's BM25 index alone", bm25, raw)}\n`);
  process.stdout.write(`${row('CapabilityRouter.route()', routed, raw)}\n`);
  process.stdout.write(`${row('route() with a required capability', filtered, raw)}\n`);
  process.stdout.write(`${row('upsertAgent/removeAgent (incremental update)', churn)}\n`);
  process.stdout.write(`${row('a completion learned and indexed (one agent)', learning)}\n`);
  benchReplay(completedBy);
  process.stdout.write(
    `  target: route() p99 <= ${TARGET_P99_MS} ms -> ${routed.p99Ms <= TARGET_P99_MS ? 'met' : 'NOT met'}\n`,
  );
}

interface Memory {
  heap: number;
  /** ArrayBuffers' contents (the router's postings are typed arrays), outside the JS heap. */
  buffers: number;
}

/** global.gc under --expose-gc; else switched on here (V8 takes the flag at run time), undefined if that fails. */
const gc = ((globalThis as { gc?: () => void }).gc ?? exposedGc()) as (() => void) | undefined;

function exposedGc(): unknown {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as unknown;
  } catch {
    return undefined;
  }
}

function settledMemory(): Memory {
  gc?.();
  gc?.();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { heap: heapUsed, buffers: arrayBuffers };
}

const time = (samples: number, op: (i: number) => unknown): Timing => timeSync(samples, op);
const row = (name: string, r: Timing, baseline?: Timing): string => formatTiming(name, r, baseline, 3);

const REPLAYED = Number(process.env.AOS_BENCH_REPLAYED ?? 2_000);

/**
 * What routing does at start-up with a log of completed tasks (the 22 test-set
 * agents, REPLAYED completions): record them all, then index each agent once
 * before the first decision, beside indexing the agent at every completion,
 * as the router did before.
 */
function benchReplay(completedBy: ReadonlyMap<string, string[]>): void {
  const completions = Array.from({ length: REPLAYED }, (_, i) => {
    const agent = AGENTS[i % AGENTS.length]!;
    const texts = completedBy.get(agent.id)!;
    return { agentId: agent.id, text: `${texts[i % texts.length]!} ${i}` };
  });
  const replay = (indexEach: boolean) => {
    const router = new CapabilityRouter();
    router.warmUp();
    for (const agent of AGENTS) router.upsertAgent(agent);
    const start = process.hrtime.bigint();
    for (const { agentId, text } of completions) {
      router.learnFromCompletion(agentId, text);
      if (indexEach) router.refresh();
    }
    router.route(TASKS[0]!.text);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const deferred = replay(false);
  const eachTime = replay(true);
  process.stdout.write(
    `  replaying ${REPLAYED} completions of ${AGENTS.length} agents, then one decision: ${deferred.toFixed(0)} ms ` +
      `(agents indexed once) vs ${eachTime.toFixed(0)} ms (indexed at every completion, the baseline)\n`,
  );
}
