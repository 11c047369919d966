import { CommandPipeline, type PipelineStore } from '@aos/command-pipeline';
import { RUN_CATEGORY, RUN_EVENTS_SCHEMA_VERSION, type RunEvent } from '@aos/contracts';
import type { RequestContext } from '@aos/messaging';
import { decideRun, evolveRun, initialRunState, isCallIdUsed, type RunCommand, type RunState } from './run.decider';

/** Fixed forever: the command pipeline derives the ids of a run's events from it. */
export const RUN_EVENT_ID_NAMESPACE = '5d0f4b1e-3a57-4c61-9a0e-2f7e8a1c6b93';

/**
 * The command pipeline of the `run-*` streams. The runner holding an attempt
 * is its run stream's only writer and keeps the stream's state itself (no
 * one else writes it, and the runtime does not follow run streams), so
 * nothing is waited for after an append, and a conflict is never decided
 * again: it means another process wrote the stream (ABORTED).
 */
export function runPipeline(store: PipelineStore): CommandPipeline {
  return new CommandPipeline({
    store,
    followers: [],
    isFollowing: () => true,
    model: 'run',
    schemaVersion: RUN_EVENTS_SCHEMA_VERSION,
    eventNamespace: RUN_EVENT_ID_NAMESPACE,
    categories: [],
    waits: { readMs: 0, writeMs: 0, catchUpMs: 0 },
  });
}

export interface RunRecorderOptions {
  pipeline: CommandPipeline;
  /** The tenant, the actor (the agent) and the correlation (the request that submitted the task). */
  ctx: RequestContext;
  runId: string;
}

/**
 * Records a run's events in `run-<runId>` through the command pipeline, in
 * order: each is decided against the state the recorder keeps and appended
 * with the stream's expected revision; its request id is the run and the
 * revision it starts at, so an append retried after a lost reply is stored once.
 */
export class RunRecorder {
  private state: RunState = initialRunState;
  private revision = -1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RunRecorderOptions) {}

  /** Decides and appends; resolves with the events recorded (none when the command changes nothing). */
  record(command: RunCommand): Promise<RunEvent[]> {
    const next = this.queue.then(() => this.append(command));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Whether a tool call of the run recorded `callId` already (the call under
   * way aside): the recorder's state is the stream's, as it is its only writer.
   */
  callIdUsed(callId: string): boolean {
    return isCallIdUsed(this.state, callId);
  }

  private async append(command: RunCommand): Promise<RunEvent[]> {
    const { pipeline, ctx, runId } = this.options;
    const committed = await pipeline.writer(ctx, `${runId}/${this.revision + 1}`).commit({
      stream: { category: RUN_CATEGORY, id: runId },
      load: () => ({ state: this.state, revision: this.revision }),
      initial: initialRunState,
      decide: (state) => decideRun(command, state),
      retry: false,
    });
    if (!committed) return [];
    this.state = committed.events.reduce(evolveRun, this.state);
    this.revision = committed.result.nextRevision;
    return committed.events;
  }
}

export const MAX_RECORDED_TEXT = 8 * 1024;

/** Text cut to at most `max` UTF-16 units, marked when cut. */
export function truncate(text: string, max = MAX_RECORDED_TEXT): string {
  if (text.length <= max) return text;
  const marker = `… [truncated, ${text.length} characters]`;
  return text.slice(0, Math.max(0, max - marker.length)) + marker;
}
