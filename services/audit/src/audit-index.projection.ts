import {
  KNOWLEDGE_CATEGORY,
  toProtoEvent,
  type Event,
  type ExportPageReply,
  type ExportPageRequest,
  type ListEventsRequest,
  type ListEventsResponse,
  type Timestamp,
} from '@aos/contracts';
import { DeadlineExceededError, InvalidArgumentError, UnavailableError } from '@aos/errors';
import { TimeoutError, type RecordedEvent } from '@aos/event-store';
import type { RequestContext } from '@aos/messaging';
import { validatePosition, validateText } from '@aos/request-fields';
import { exportFormatOf, textWriter, type ExportWriter } from './audit-export';
import { TenantLog, type CheckpointKey } from './tenant-log';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
export const MIN_POSITION_WAIT_MS = 5_000;
/** Longest `stream` or `actor_id` filter accepted; the most `event_types` listed. */
const MAX_FILTER_TEXT = 512;
const MAX_EVENT_TYPES = 100;
/**
 * A reply travels as one NATS message (1 MiB max_payload by default) and an
 * event's data can be tens of KiB (agent instructions), so a page also ends
 * when its events' JSON reaches this size; AIP-158 lets a page be short.
 */
export const MAX_PAGE_BYTES = 768 * 1024;
/**
 * An export page's text ends at this size (or MAX_PAGE_SIZE events): JSON
 * escaping in the NATS reply can at most double it, keeping it under 1 MiB.
 */
export const MAX_EXPORT_PAGE_BYTES = 384 * 1024;
/** The most index entries one export page looks at, so a filter few events match does not hold the service up. */
export const MAX_EXPORT_PAGE_SCAN = 50_000;
/** Estimated JSON size of an event's envelope without its data. */
const ENVELOPE_BYTES = 600;

/** The events of one tenant, in log order, the same events grouped by stream, and their Merkle tree. */
interface TenantIndex {
  all: RecordedEvent[];
  byStream: Map<string, RecordedEvent[]>;
  log: TenantLog;
}

/**
 * The audit read model: every event of the log, per tenant, in position order.
 * It holds the RecordedEvent objects the subscription delivers (no copies), so
 * the per-stream lists cost one reference per event. It lives in memory and is
 * rebuilt from position 0 at every start, like every projection here; a lost
 * subscription ends the process (like every service's), and its supervisor
 * restarts it.
 */
export class AuditIndexProjection {
  private readonly tenants = new Map<string, TenantIndex>();
  /** Position of the newest event indexed. */
  private position = 0;

  /**
   * `follower` is the subscription that feeds `apply` (a query's
   * min_position waits for it); `isFollowing` turns false once it has
   * stopped for good, and queries are then UNAVAILABLE rather than stale.
   */
  constructor(
    private readonly follower?: { waitFor(position: number, timeoutMs?: number): Promise<void> },
    private readonly isFollowing: () => boolean = () => true,
    /** The log's key: the index takes only checkpoints it signed. */
    private readonly checkpointKey?: CheckpointKey,
  ) {}

  apply(recorded: RecordedEvent): void {
    // A redelivered event must not appear twice, and binary search needs strictly increasing positions.
    if (recorded.position <= this.position) return;
    const e = summarised(recorded);
    const tenantId = e.metadata.tenantId;
    let tenant = this.tenants.get(tenantId);
    if (!tenant) {
      const all: RecordedEvent[] = [];
      tenant = { all, byStream: new Map(), log: new TenantLog(all, this.checkpointKey) };
      this.tenants.set(tenantId, tenant);
    }
    this.position = e.position;
    tenant.log.keepLeafOf(recorded, e);
    tenant.all.push(e);
    const stream = tenant.byStream.get(e.stream);
    if (stream) stream.push(e);
    else tenant.byStream.set(e.stream, [e]);
    tenant.log.applied(e);
  }

  /** The tenant's events as a Merkle tree with its checkpoints; undefined before its first event. */
  tenantLog(tenantId: string): TenantLog | undefined {
    return this.tenants.get(tenantId)?.log;
  }

  tenantIds(): Iterable<string> {
    return this.tenants.keys();
  }

  /** Hashes every tenant's tree up to the events held now (each in slices that let replies through). */
  async hashAll(): Promise<void> {
    for (const tenant of [...this.tenants.values()]) await tenant.log.sync();
  }

  /** Position of the newest event indexed. */
  get headPosition(): number {
    return this.position;
  }

  /** Waits (up to 5 s) until the index has applied `position`. */
  reach(position: number): Promise<void> {
    if (!this.isFollowing()) throw new UnavailableError('the audit index has stopped following the log');
    return this.waitFor(position);
  }

  async list(ctx: RequestContext, request: Partial<ListEventsRequest>): Promise<ListEventsResponse> {
    if (!this.isFollowing()) throw new UnavailableError('the audit index has stopped following the log');
    const query = parseQuery(request);
    if (query.minPosition > 0) await this.waitFor(query.minPosition);

    const tenant = this.tenants.get(ctx.tenantId);
    // With a stream filter the stream's own list is scanned, so a page costs
    // O(log n + page) however long the rest of the tenant's log is.
    const events = (query.stream ? tenant?.byStream.get(query.stream) : tenant?.all) ?? [];
    const page: Event[] = [];
    let pageBytes = 0;
    let hasMore = false;
    for (let i = firstAfter(events, query.after); i < events.length; i++) {
      const e = events[i];
      if (!matches(e, query)) continue;
      // Stopping at a match (a full page, or the size budget) means a next
      // page exists, so the last page comes with an empty token rather than a
      // token to an empty page.
      const event = page.length < query.pageSize ? toProtoEvent(e) : undefined;
      const bytes = event ? ENVELOPE_BYTES + Buffer.byteLength(event.dataJson) : 0;
      if (!event || (page.length > 0 && pageBytes + bytes > MAX_PAGE_BYTES)) {
        hasMore = true;
        break;
      }
      page.push(event);
      pageBytes += bytes;
    }
    const last = page.at(-1);
    return {
      events: page,
      nextPageToken: hasMore && last ? encodePageToken(last.position) : '',
      // The index's newest event at this read (any tenant's: positions are the log's), where a live follow starts.
      headPosition: this.position,
    };
  }

  /**
   * One page of an ExportEvents file: the events matching the request's
   * filters after `after` and at or before `until` (0: the index head now),
   * as JSONL lines or CSV records; one page at a time, so an export never
   * holds more than a page.
   */
  async exportPage(
    ctx: RequestContext,
    body: Partial<ExportPageRequest>,
    bundleWriter?: (ctx: RequestContext, request: Partial<ExportPageRequest['request']>) => ExportWriter,
  ): Promise<ExportPageReply> {
    if (!this.isFollowing()) throw new UnavailableError('the audit index has stopped following the log');
    const request = body.request ?? {};
    const format = exportFormatOf(request.format);
    if (format === 'bundle' && !bundleWriter) throw new UnavailableError('this audit service writes no bundles');
    const writer =
      format === 'bundle' ? (bundleWriter as NonNullable<typeof bundleWriter>)(ctx, request) : textWriter(format);
    const query = parseQuery({
      stream: request.stream,
      eventTypes: request.eventTypes,
      actorId: request.actorId,
      startTime: request.startTime,
      endTime: request.endTime,
      afterPosition: request.afterPosition,
    });
    const requestedUntil = validatePosition('until_position', request.untilPosition);
    if (requestedUntil > 0 && requestedUntil < query.after) {
      throw new InvalidArgumentError('until_position', 'must not be before after_position');
    }
    // The first page fixes where the export ends: until_position, or the head
    // now if that is older. A later page may be answered by another replica of
    // this service, which first catches up to there, so no event is skipped.
    let until = validatePosition('until', body.until);
    let treeSize = validatePosition('treeSize', body.treeSize);
    let text = '';
    if (until > 0) {
      await this.waitFor(until);
      await writer.resume(treeSize);
    } else {
      until = requestedUntil > 0 ? Math.min(requestedUntil, this.position) : this.position;
    }
    if (body.first) ({ header: text, until, treeSize } = await writer.begin(until, requestedUntil));
    const after = Math.max(query.after, validatePosition('after', body.after));

    const tenant = this.tenants.get(ctx.tenantId);
    const events = (query.stream ? tenant?.byStream.get(query.stream) : tenant?.all) ?? [];
    let textBytes = Buffer.byteLength(text);
    let count = 0;
    let firstPosition = 0;
    let lastPosition = 0;
    let next = after;
    let done = true;
    const start = firstAfter(events, after);
    for (let i = start; i < events.length; i++) {
      const e = events[i];
      if (e.position > until) break;
      if (count >= MAX_PAGE_SIZE || textBytes >= MAX_EXPORT_PAGE_BYTES || i - start >= MAX_EXPORT_PAGE_SCAN) {
        done = false;
        break;
      }
      if (!matches(e, query)) {
        next = e.position;
        continue;
      }
      const line = writer.line(e);
      const bytes = Buffer.byteLength(line);
      // A line that would take the page past its size goes on the next page (a page holds at least one).
      if (count > 0 && textBytes + bytes > MAX_EXPORT_PAGE_BYTES) {
        done = false;
        break;
      }
      next = e.position;
      text += line;
      textBytes += bytes;
      count++;
      if (!firstPosition) firstPosition = e.position;
      lastPosition = e.position;
    }
    if (done) {
      const before = validatePosition('count', body.count);
      text += writer.end({
        count: before + count,
        firstPosition: validatePosition('firstPosition', body.firstPosition) || firstPosition,
        lastPosition: lastPosition || validatePosition('lastPosition', body.lastPosition),
      });
    }
    return { text, events: count, firstPosition, lastPosition, next, until, done, treeSize };
  }

  private async waitFor(position: number): Promise<void> {
    if (position <= this.position) return;
    if (!this.follower) throw new UnavailableError('the audit index is not following the log');
    try {
      await this.follower.waitFor(position, MIN_POSITION_WAIT_MS);
    } catch (err) {
      if (err instanceof TimeoutError) {
        throw new DeadlineExceededError(
          `min_position: the audit index did not reach position ${position} within ${MIN_POSITION_WAIT_MS} ms`,
        );
      }
      throw new UnavailableError('the audit index is not following the log', { cause: err });
    }
  }
}

/**
 * The event as the index keeps and answers it: a knowledge blob part's data
 * (up to 128 KiB of a document's bytes, text or embeddings, as base64) is
 * left out and its size said instead; which blob, which part and its hash
 * stay. The whole part is in the log (ReplayEvents, exports).
 */
function summarised(e: RecordedEvent): RecordedEvent {
  if (e.category !== KNOWLEDGE_CATEGORY || e.type !== 'BlobPartStored') return e;
  const { data, ...part } = e.data as { data?: unknown };
  return { ...e, data: { ...part, dataBytes: typeof data === 'string' ? Buffer.byteLength(data, 'base64') : 0 } };
}

interface EventQuery {
  pageSize: number;
  /** Only events with a greater position: the larger of after_position and the page token's position. */
  after: number;
  stream: string;
  eventTypes: ReadonlySet<string>;
  actorId: string;
  startMs: number | undefined;
  endMs: number | undefined;
  minPosition: number;
}

/** Validates a ListEventsRequest; fields may be absent, or of any type, because callers other than proto-loader send JSON. */
function parseQuery(request: Partial<ListEventsRequest>): EventQuery {
  const pageSize = request.pageSize ?? 0;
  if (!Number.isInteger(pageSize) || pageSize < 0) {
    throw new InvalidArgumentError('page_size', `must be between 1 and ${MAX_PAGE_SIZE} (or 0 for the default)`);
  }
  const afterPosition = validatePosition('after_position', request.afterPosition);
  const minPosition = validatePosition('min_position', request.minPosition);
  const tokenPosition = request.pageToken ? decodePageToken(request.pageToken) : 0;
  const startMs = toMillis(request.startTime, 'start_time');
  const endMs = toMillis(request.endTime, 'end_time');
  if (startMs !== undefined && endMs !== undefined && endMs < startMs) {
    throw new InvalidArgumentError('end_time', 'must not be before start_time');
  }
  return {
    pageSize: pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE),
    after: Math.max(afterPosition, tokenPosition),
    stream: validateText('stream', request.stream, MAX_FILTER_TEXT, { multiline: false }),
    eventTypes: new Set(eventTypes(request.eventTypes)),
    actorId: validateText('actor_id', request.actorId, MAX_FILTER_TEXT, { multiline: false }),
    startMs,
    endMs,
    minPosition,
  };
}

function eventTypes(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidArgumentError('event_types', 'must be a list of strings');
  if (value.length > MAX_EVENT_TYPES) {
    throw new InvalidArgumentError('event_types', `must have at most ${MAX_EVENT_TYPES} entries`);
  }
  return value.map((type: unknown, i) => {
    if (typeof type !== 'string') throw new InvalidArgumentError('event_types', `entry ${i} must be a string`);
    return type;
  });
}

function matches(e: RecordedEvent, q: EventQuery): boolean {
  if (q.eventTypes.size > 0 && !q.eventTypes.has(e.type)) return false;
  if (q.actorId && e.metadata.actor.id !== q.actorId) return false;
  if (q.startMs !== undefined || q.endMs !== undefined) {
    const ms = Date.parse(e.time);
    if (q.startMs !== undefined && ms < q.startMs) return false;
    if (q.endMs !== undefined && ms >= q.endMs) return false;
  }
  return true;
}

/** Index of the first event with a position greater than `after` (events are in increasing position order). */
export function firstAfter(events: readonly RecordedEvent[], after: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid].position <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const PAGE_TOKEN_PREFIX = 'after:';

/** The page token is opaque to callers: base64url of the last position returned. */
export function encodePageToken(position: number): string {
  return Buffer.from(`${PAGE_TOKEN_PREFIX}${position}`).toString('base64url');
}

export function decodePageToken(token: unknown): number {
  const decoded =
    typeof token === 'string' && /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  const digits = decoded.startsWith(PAGE_TOKEN_PREFIX) ? decoded.slice(PAGE_TOKEN_PREFIX.length) : '';
  const position = /^\d{1,15}$/.test(digits) ? Number(digits) : NaN;
  if (!Number.isSafeInteger(position)) {
    throw new InvalidArgumentError('page_token', 'is not a token from a previous ListEvents response');
  }
  return position;
}

function toMillis(ts: Timestamp | null | undefined, field: string): number | undefined {
  if (!ts) return undefined;
  if (typeof ts !== 'object') throw new InvalidArgumentError(field, 'must be a timestamp ({seconds, nanos})');
  const seconds = Number(ts.seconds ?? 0);
  const nanos = ts.nanos ?? 0;
  if (!Number.isFinite(seconds) || !Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) {
    throw new InvalidArgumentError(field, 'is not a valid timestamp');
  }
  return seconds * 1000 + Math.floor(nanos / 1_000_000);
}
