import {
  AGENT_CATEGORY,
  RUN_CATEGORY,
  type AgentDefinition,
  type AgentEvent,
  type HealthStatusName,
  type RunEvent,
} from '@aos/contracts';
import { AgentHealthProjection } from '../../src/agent/agent-health.projection';
import { createHash } from 'node:crypto';
import type { EventMetadata, EventStore, NewEvent, RecordedEvent, StreamRef } from '@aos/event-store';
import { seededRandom } from '@aos/testing';

/** One append of the history: events of one stream, as the service that owns it writes them. */
export interface HistoryAppend {
  stream: StreamRef;
  events: NewEvent[];
}

export interface HistoryOptions {
  tenants?: readonly string[];
  /** Seed of the deterministic choices (the same seed, the same history). */
  seed?: number;
  /** Prefix of ids and names, so that two histories on one log do not collide. */
  prefix?: string;
  /** The share of appends that are runs (the rest: lifecycle's requests); default 0.64. */
  runShare?: number;
}

type Status = 'DRAFT' | 'ACTIVE' | 'PAUSED' | 'RETIRED';

interface Agent {
  tenantId: string;
  agentId: string;
  status: Status;
  version: number;
  definition: AgentDefinition;
  sessions: string[];
  /** The health status last recorded on its stream. */
  health: HealthStatusName;
  /** Its newest task ('' before any). */
  lastTask: string;
  /** Its index in `live` while not retired. */
  slot: number;
}

/**
 * A realistic lifecycle log without end, in the domain's shapes: agents
 * created (and most deployed), updated (renamed now and then), paused,
 * resumed and retired, external agents' sessions attached and ended, health
 * changes recorded, and the runtime's runs of them (RunStarted, model calls,
 * usage, and a success, a failure, a stop, or none: an abandoned attempt
 * that the task's next attempt replaces). What lifecycle's snapshots test
 * and the takeover bench seed; the caller stops taking appends when it has
 * enough.
 */
export function* lifecycleHistory(options: HistoryOptions = {}): Generator<HistoryAppend> {
  const tenants = options.tenants ?? ['acme', 'globex'];
  const prefix = options.prefix ?? 'h';
  const random = seededRandom(options.seed ?? 1);
  // Ids (agents, tasks, events) are UUIDs as the log wants them: the prefix's hash, then a counter (cheap at 1M events).
  const idSpace = createHash('sha1').update(prefix).digest('hex').slice(0, 8);
  let ids = 0;
  const nextId = () => `${idSpace}-0000-4000-8000-${(++ids).toString(16).padStart(12, '0')}`;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  /** The agents not retired (an array, picked from at random; a retired one's slot takes the last one). */
  const live: Agent[] = [];
  /**
   * The agents' health as lifecycle folds it, in the order generated: each
   * change is recorded (AgentHealthChanged) as lifecycle's health reactions
   * record it, so that lifecycle started on the history has nothing to record.
   */
  const health = new AgentHealthProjection();
  let folds = 0;
  const folded = (agent: Agent, event: AgentEvent | RunEvent): RecordedEvent => ({
    id: '',
    type: event.type,
    data: event.data,
    metadata: metadata(agent.tenantId, { kind: 'agent', id: agent.agentId }, ''),
    stream: '',
    category: AGENT_CATEGORY,
    streamId: agent.agentId,
    revision: 0,
    position: ++folds,
    time: new Date(Date.UTC(2026, 0, 1) + folds * 1000).toISOString(),
  });
  const healthChange = (agent: Agent): HistoryAppend | undefined => {
    const now = health.health(agent.tenantId, agent.agentId);
    if (agent.status === 'RETIRED' || now.status === agent.health) return undefined;
    const previousStatus = agent.health;
    agent.health = now.status;
    return agentAppend(agent, [
      {
        type: 'AgentHealthChanged',
        data: { agentId: agent.agentId, status: now.status, previousStatus, reason: now.reason, causePosition: folds },
      },
    ]);
  };
  let agentCount = 0;
  // The other appends keep their proportions: creates 12, updates 8, transitions 6, retires 1, sessions 6, health 3.
  const scale = (1 - (options.runShare ?? 0.64)) / 0.36;
  let requests = 0;
  let runs = 0;
  const metadata = (tenantId: string, actor: EventMetadata['actor'], requestId: string): EventMetadata => ({
    tenantId,
    actor,
    correlationId: `${prefix}-c${requests}`,
    causationId: requestId,
    requestId,
    schemaVersion: 1,
  });
  /** One request of lifecycle's: its events on the agent's stream, ids derived from the request. */
  const agentAppend = (agent: Agent, events: AgentEvent[], requestId = `${prefix}-r${++requests}`): HistoryAppend => ({
    stream: { tenantId: agent.tenantId, category: AGENT_CATEGORY, id: agent.agentId },
    events: events.map((event) => ({
      id: nextId(),
      type: event.type,
      data: event.data,
      metadata: metadata(agent.tenantId, { kind: 'user', id: 'alice' }, requestId),
    })),
  });

  for (;;) {
    const roll = random();
    if (live.length < 4 || roll < 0.12 * scale) {
      const n = agentCount++;
      const tenantId = pick(tenants);
      const agent: Agent = {
        tenantId,
        agentId: nextId(),
        status: 'DRAFT',
        version: 1,
        definition: {
          name: `${prefix}-Agent ${n}`,
          description: `agent ${n} of the history`,
          capabilities: n % 3 === 0 ? ['billing', 'support'] : ['support'],
          instructions: `You are agent ${n}. `.repeat(1 + (n % 7)),
          model: n % 2 === 0 ? 'gpt-4o-mini' : 'claude-haiku',
          toolIds: n % 4 === 0 ? ['tool-search'] : [],
          knowledgeBaseIds: [],
          labels: { team: pick(['a', 'b', 'c']) },
        },
        sessions: [],
        lastTask: '',
        health: 'UNKNOWN',
        slot: live.length,
      };
      live.push(agent);
      const created: AgentEvent = {
        type: 'AgentCreated',
        data: { agentId: agent.agentId, definition: agent.definition, definitionVersion: 1, createdBy: 'alice' },
      };
      const deploy = random() < 0.85;
      if (deploy) agent.status = 'ACTIVE';
      yield agentAppend(
        agent,
        deploy ? [created, { type: 'AgentDeployed', data: { agentId: agent.agentId, reason: 'ready' } }] : [created],
      );
      continue;
    }
    const agent = pick(live);
    const { agentId } = agent;
    if (roll < 0.2 * scale) {
      // An update: a new version, renamed one time in four.
      const rename = random() < 0.25;
      const changed = rename ? (['name', 'model'] as const) : (['model'] as const);
      agent.definition = {
        ...agent.definition,
        name: rename ? `${agent.definition.name} v${agent.version + 1}` : agent.definition.name,
        model: agent.definition.model === 'claude-haiku' ? 'gpt-4o-mini' : 'claude-haiku',
      };
      agent.version += 1;
      yield agentAppend(agent, [
        {
          type: 'AgentUpdated',
          data: {
            agentId,
            definition: agent.definition,
            definitionVersion: agent.version,
            changedFields: [...changed],
          },
        },
      ]);
    } else if (roll < 0.26 * scale) {
      const type = agent.status === 'ACTIVE' ? 'AgentPaused' : 'AgentDeployed';
      agent.status = type === 'AgentPaused' ? 'PAUSED' : 'ACTIVE';
      yield agentAppend(agent, [{ type, data: { agentId, reason: 'operator' } }]);
    } else if (roll < 0.27 * scale) {
      const previousState = agent.status as 'DRAFT' | 'ACTIVE' | 'PAUSED';
      agent.status = 'RETIRED';
      const moved = live.pop()!;
      if (moved !== agent) {
        live[agent.slot] = moved;
        moved.slot = agent.slot;
      }
      yield agentAppend(agent, [{ type: 'AgentRetired', data: { agentId, reason: 'done', previousState } }]);
    } else if (roll < 0.33 * scale) {
      // An external agent's session: attached, or the oldest open one ended.
      const attach = agent.sessions.length === 0 || random() < 0.5;
      const sessionId = attach ? `${prefix}-s${++requests}` : agent.sessions.shift()!;
      if (attach) agent.sessions.push(sessionId);
      const event: AgentEvent = attach
        ? { type: 'AgentSessionAttached', data: { agentId, sessionId, maxConcurrentTasks: 2 } }
        : { type: 'AgentSessionEnded', data: { agentId, sessionId, reason: 'closed' } };
      yield agentAppend(agent, [event], `${event.type}:${sessionId}`);
      health.applyAgentEvent(folded(agent, event), event);
      const change = healthChange(agent);
      if (change) yield change;
    } else {
      // A run of one of the agent's tasks: a new task, or the next attempt of its last one (the previous abandoned).
      const retry = agent.lastTask !== '' && random() < 0.15;
      if (!retry) agent.lastTask = nextId();
      const taskId = agent.lastTask;
      const attempt = retry ? 2 + Math.floor(random() * 3) : 1;
      const runId = `${taskId}-${attempt}`;
      runs += 1;
      const events: RunEvent[] = [
        {
          type: 'RunStarted',
          data: {
            runId,
            taskId,
            attempt,
            agentId,
            definitionVersion: agent.version,
            model: agent.definition.model,
            runner: 'loop',
            previousRunId: retry ? `${taskId}-${attempt - 1}` : '',
          },
        },
        {
          type: 'ModelCalled',
          data: {
            runId,
            turn: 1,
            model: agent.definition.model,
            promptTokens: 100 + (runs % 50),
            completionTokens: 20 + (runs % 30),
            totalTokens: 120 + (runs % 80),
            finishReason: 'stop',
            decision: 'answer',
            toolCalls: [],
            content: 'The answer.',
            durationMs: 300,
            retries: 0,
          },
        },
        { type: 'UsageCharged', data: { runId, tokens: 120, costMicros: 40 + (runs % 9) } },
      ];
      const end = random();
      if (end < 0.6) events.push({ type: 'RunSucceeded', data: { runId, result: 'done' } });
      else if (end < 0.8) events.push({ type: 'RunFailed', data: { runId, code: 'INTERNAL', reason: 'tool broke' } });
      else if (end < 0.9) events.push({ type: 'RunStopped', data: { runId, reason: 'lease lost' } });
      // else: abandoned (its runtime died), a later attempt replaces it.
      for (const event of events) health.apply({ ...folded(agent, event), category: RUN_CATEGORY });
      yield {
        stream: { tenantId: agent.tenantId, category: RUN_CATEGORY, id: runId },
        events: events.map((event) => ({
          id: nextId(),
          type: event.type,
          data: event.data,
          metadata: metadata(agent.tenantId, { kind: 'agent', id: agentId }, `${prefix}-run-${runs}`),
        })),
      };
      const change = healthChange(agent);
      if (change) yield change;
    }
  }
}

/**
 * The history as the log records it, in memory: positions from 1 (or
 * after `afterPosition`), revisions per stream, a time per event; the first
 * `count` events.
 */
export function recordedHistory(count: number, options: HistoryOptions & { afterPosition?: number } = {}) {
  const revisions = new Map<string, number>();
  const recorded: RecordedEvent[] = [];
  let position = options.afterPosition ?? 0;
  for (const append of lifecycleHistory(options)) {
    const stream = `${append.stream.category}-${append.stream.id}`;
    for (const event of append.events) {
      const key = `${append.stream.tenantId}/${stream}`;
      const revision = (revisions.get(key) ?? -1) + 1;
      revisions.set(key, revision);
      position += 1;
      recorded.push({
        ...event,
        stream,
        category: append.stream.category,
        streamId: append.stream.id,
        revision,
        position,
        time: new Date(Date.UTC(2026, 0, 1) + position * 1000).toISOString(),
      });
      if (recorded.length === count) return recorded;
    }
  }
  return recorded;
}

/**
 * Appends the history's first `count` events (whole appends: it may write a
 * few more) to the log, `concurrency` appends in flight; one stream's appends
 * stay in order. Returns how many events it wrote.
 */
export async function appendHistory(
  store: Pick<EventStore, 'append'>,
  count: number,
  options: HistoryOptions & { concurrency?: number } = {},
): Promise<number> {
  const concurrency = options.concurrency ?? 1;
  const inFlight = new Set<Promise<unknown>>();
  const lastOfStream = new Map<string, Promise<unknown>>();
  let written = 0;
  for (const append of lifecycleHistory(options)) {
    if (written >= count) break;
    written += append.events.length;
    const key = `${append.stream.tenantId}/${append.stream.category}-${append.stream.id}`;
    const previous = lastOfStream.get(key) ?? Promise.resolve();
    const done = previous.then(() => store.append(append.stream, append.events));
    lastOfStream.set(key, done);
    inFlight.add(done);
    void done.then(
      () => {
        inFlight.delete(done);
        if (lastOfStream.get(key) === done) lastOfStream.delete(key);
      },
      () => undefined,
    );
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return written;
}

/** The log's head once nothing was appended for `quietMs` (e.g. the health reactions are done). */
export async function settledHead(store: Pick<EventStore, 'headPosition'>, quietMs: number): Promise<number> {
  let head = await store.headPosition();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const now = await store.headPosition();
    if (now === head) return head;
    head = now;
  }
}
