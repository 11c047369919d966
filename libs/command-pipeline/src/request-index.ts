import type { RecordedEvent } from '@aos/event-store';

/** One event a request recorded, as the replay of its reply needs it. */
export interface RecordedStep {
  readonly type: string;
  readonly category: string;
  readonly streamId: string;
  /** 0-based revision within its stream. */
  readonly revision: number;
  readonly position: number;
  readonly data: unknown;
  /** What the writer's snapshot function returned right after the event (see RequestIndex). */
  readonly after?: unknown;
}

/** Tenant → request id → the steps it recorded (RequestIndex.capture()). */
export type RequestIndexState = Map<string, Map<string, RecordedStep[]>>;

/**
 * What each request_id recorded in the streams one writer owns, in log
 * order, fed from the writer's own subscription (so a reply that waited for
 * a position finds its request here). A retry with the same request_id is
 * answered from it instead of being decided again; a request_id reused for
 * another kind of request is recognised by the events it recorded.
 */
export class RequestIndex {
  private readonly tenants = new Map<string, Map<string, RecordedStep[]>>();
  private readonly categories: ReadonlySet<string>;

  /**
   * `categories`: the streams of this writer; request ids of other writers'
   * events are theirs, not ours. `snapshot`, when given, is called right
   * after the writer's model applied an event (feed the index after the
   * model), and what it returns is kept with the step: a writer whose retried
   * requests must get the answer of their first attempt, however late they
   * come, builds it from that (immutable) snapshot.
   */
  constructor(
    categories: readonly string[],
    private readonly snapshot?: (event: RecordedEvent) => unknown,
  ) {
    this.categories = new Set(categories);
  }

  apply(event: RecordedEvent): void {
    if (!this.categories.has(event.category)) return;
    const { tenantId, requestId } = event.metadata;
    let requests = this.tenants.get(tenantId);
    if (!requests) this.tenants.set(tenantId, (requests = new Map()));
    const steps = requests.get(requestId);
    // Redelivered after a reconnect: already recorded.
    if (steps && steps[steps.length - 1]!.position >= event.position) return;
    const step: RecordedStep = {
      ...recordedStep(event),
      ...(this.snapshot ? { after: this.snapshot(event) } : {}),
    };
    if (steps) steps.push(step);
    else requests.set(requestId, [step]);
  }

  /** Everything the index holds, as plain data for a projection snapshot (shared with the index: do not change it). */
  capture(): RequestIndexState {
    return this.tenants;
  }

  /** Puts a captured state in place of an empty index's. */
  restore(state: RequestIndexState): void {
    this.tenants.clear();
    for (const [tenantId, requests] of state) this.tenants.set(tenantId, requests);
  }

  /**
   * Drops what a request recorded, for a writer that keeps no more than it
   * must: a retry of it is then answered from the log (CommandPipelineOptions.recall).
   */
  forget(tenantId: string, requestId: string): void {
    const requests = this.tenants.get(tenantId);
    if (requests?.delete(requestId) && requests.size === 0) this.tenants.delete(tenantId);
  }

  /** The events the request recorded, in log order; undefined when it recorded none (yet). */
  get(tenantId: string, requestId: string): readonly RecordedStep[] | undefined {
    return this.tenants.get(tenantId)?.get(requestId);
  }
}

/** An event as the request index records it (without the writer's snapshot). */
export function recordedStep(event: RecordedEvent): RecordedStep {
  const { type, category, streamId, revision, position, data } = event;
  return { type, category, streamId, revision, position, data };
}

/** Position of the last event of a request. */
export function lastPositionOf(steps: readonly RecordedStep[]): number {
  return steps[steps.length - 1]!.position;
}
