import { v5 as uuidv5 } from 'uuid';
import { RUN_CATEGORY, RUN_EVENTS_SCHEMA_VERSION, type RunEvent } from '@aos/contracts';
import type { Actor, EventStore } from '@aos/event-store';
import { decideRun, evolveRun, initialRunState, type RunCommand, type RunState } from './run.decider';

/** Fixed forever: changing it would give a retried append new ids, recorded twice. */
export const RUN_EVENT_ID_NAMESPACE = '5d0f4b1e-3a57-4c61-9a0e-2f7e8a1c6b93';

export interface RunRecorderOptions {
  store: Pick<EventStore, 'append'>;
  tenantId: string;
  runId: string;
  /** Who acts in the run: the agent. */
  actor: Actor;
  /** The request that submitted the task, when known; else the run id. */
  correlationId: string;
}

/**
 * Appends a run's events to `run-<runId>`. The runner that holds the attempt
 * is the stream's only writer, so the recorder keeps the stream's state and
 * revision itself (nothing is read back) and appends with the expected
 * revision; an event's id derives from its place in the stream, so an append
 * retried after a lost reply is stored once. Appends are serialised.
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

  private async append(command: RunCommand): Promise<RunEvent[]> {
    const events = decideRun(command, this.state);
    if (events.length === 0) return events;
    const { store, tenantId, runId, actor, correlationId } = this.options;
    const first = this.revision + 1;
    const result = await store.append(
      { tenantId, category: RUN_CATEGORY, id: runId },
      events.map((event, i) => ({
        id: uuidv5(`${tenantId}/${runId}/${first + i}`, RUN_EVENT_ID_NAMESPACE),
        type: event.type,
        data: event.data,
        metadata: {
          tenantId,
          actor,
          correlationId,
          causationId: runId,
          requestId: `${runId}/${first + i}`,
          schemaVersion: RUN_EVENTS_SCHEMA_VERSION,
        },
      })),
      { expectedRevision: this.revision < 0 ? 'no_stream' : this.revision },
    );
    this.state = events.reduce(evolveRun, this.state);
    this.revision = result.nextRevision;
    return events;
  }
}

export const MAX_RECORDED_TEXT = 8 * 1024;

/** Text cut to at most `max` UTF-16 units, marked when cut. */
export function truncate(text: string, max = MAX_RECORDED_TEXT): string {
  if (text.length <= max) return text;
  const marker = `… [truncated, ${text.length} characters]`;
  return text.slice(0, Math.max(0, max - marker.length)) + marker;
}
