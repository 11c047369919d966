import { deserialize, serialize } from 'node:v8';
import { describeError } from '@aos/errors';
import { retryTransient, STARTUP_RETRY_MS, waitForLeader, type EventStore } from '@aos/event-store';
import { jetstreamManager } from '@nats-io/jetstream';
import { Objm, setSha256Backend, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * How a projection (a service's in-memory model fed by one subscription) is
 * saved and brought back, so that a replacement process starts from a recent
 * state and replays only the log's tail instead of the whole log.
 *
 * A snapshot is derived data, never the source of truth: it names the log
 * position and event id of the last event it holds, and it is used only when
 * the log still has that very event there; otherwise (no snapshot, another
 * version, another log) the projection is rebuilt from the log as before.
 */
export interface ProjectionSnapshot<S = unknown> {
  /**
   * The shape of the state and the meaning of apply(): a snapshot written
   * under another version is ignored and rebuilt from the log. Raise it with
   * every change to what the projection keeps or how it applies an event.
   */
  readonly version: number;
  /**
   * The state after the last event applied, as data `v8.serialize` writes:
   * plain objects, arrays, Maps, Sets, typed arrays, strings, numbers (no
   * class instances, functions or symbols). Called between two events.
   */
  capture(): S;
  /** Puts a captured state in place of the empty one, before any event is applied. */
  restore(state: S): void;
}

/** Where one subscription of a snapshot stood: the last event it applied (position 0, id '' when none). */
export interface SnapshotPart {
  position: number;
  eventId: string;
}

/**
 * What a snapshot claims: the state holds, for each subscription feeding
 * the projection (in the order they were given), every event of its filter
 * up to `position`, the last being the event `eventId`.
 */
export interface SnapshotHeader {
  format: typeof FORMAT;
  service: string;
  projection: string;
  version: number;
  /** The AgentOS release that wrote it: another release rebuilds from the log. */
  release: string;
  parts: SnapshotPart[];
  eventsApplied: number;
  writtenAt: string;
}

/** Where snapshots are kept: one object per service and projection, replaced by each newer one. */
export interface SnapshotStore {
  read(name: string): Promise<Uint8Array | undefined>;
  /** False when another writer (a replica) replaced the snapshot while this one was written: its own is dropped. */
  write(name: string, bytes: Uint8Array): Promise<boolean>;
  /** Removes a snapshot that cannot be restored; nothing when there is none. */
  remove(name: string): Promise<void>;
}

const FORMAT = 'aos-projection-snapshot/2';
const MAGIC = Buffer.from('AOSSNAP1');
export const SNAPSHOT_BUCKET = 'aos_snapshots';
/** The object store's chunk: fewer round trips than its 128 KiB default, under NATS's 1 MiB max payload. */
const SNAPSHOT_CHUNK_BYTES = 512 * 1024;
/** A snapshot read gets this long, plus READ_MS_PER_MIB for each MiB of it (this box reads ~30 MB/s). */
const READ_DEADLINE_MS = 30_000;
const READ_MS_PER_MIB = 500;

export function encodeSnapshot(header: SnapshotHeader, state: unknown): Buffer {
  const head = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(head.length);
  return Buffer.concat([MAGIC, length, head, serialize(state)]);
}

/** The header alone (cheap), and the state on demand (the expensive part). */
export function decodeSnapshot(bytes: Uint8Array): { header: SnapshotHeader; state: () => unknown } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < MAGIC.length + 4 || !buffer.subarray(0, MAGIC.length).equals(MAGIC))
    throw new Error('not a projection snapshot');
  const headLength = buffer.readUInt32BE(MAGIC.length);
  const start = MAGIC.length + 4;
  const header = JSON.parse(buffer.subarray(start, start + headLength).toString('utf8')) as SnapshotHeader;
  if (header.format !== FORMAT) throw new Error(`unknown snapshot format ${String(header.format)}`);
  return { header, state: () => deserialize(buffer.subarray(start + headLength)) as unknown };
}

/** Snapshots in a JetStream object store on the service's NATS, replicated like the log. */
export class JetStreamSnapshotStore implements SnapshotStore {
  private constructor(private readonly objects: ObjectStore) {}

  static async open(nc: NatsConnection, replicas = 1): Promise<JetStreamSnapshotStore> {
    // The object store checks every chunk's SHA-256, by default in JavaScript (about 75 MiB/s here,
    // 2 s of a 160 MiB snapshot's read); node:crypto's is about 15 times faster. Process-wide.
    setSha256Backend('native');
    const objects = await retryTransient(
      () =>
        new Objm(nc).create(SNAPSHOT_BUCKET, {
          replicas,
          description: 'AgentOS projection snapshots: derived from the event log, safe to delete',
        }),
      STARTUP_RETRY_MS,
      { timeouts: true, creating: true },
    );
    if (replicas > 1) {
      const jsm = await retryTransient(() => jetstreamManager(nc), STARTUP_RETRY_MS, { timeouts: true });
      await waitForLeader(() => jsm.streams.info(`OBJ_${SNAPSHOT_BUCKET}`), STARTUP_RETRY_MS);
    }
    return new JetStreamSnapshotStore(objects);
  }

  async read(name: string): Promise<Uint8Array | undefined> {
    const object = await this.objects.get(name);
    if (!object) return undefined;
    // A writer replacing the object purges the chunks being read: the read would then wait for
    // chunks that never come. It is given a deadline by the object's size, and a start that
    // misses it replays the log.
    const deadlineMs = READ_DEADLINE_MS + (object.info.size / 1048576) * READ_MS_PER_MIB;
    const reader = object.data.getReader();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void reader.cancel().catch(() => undefined);
        reject(new Error(`reading snapshot ${name} took over ${Math.round(deadlineMs)} ms`));
      }, deadlineMs);
    });
    try {
      // Each chunk copied into one buffer of the object's size as it comes: a snapshot may be
      // hundreds of MiB, and holding the chunks, then their concatenation, would need twice that.
      const bytes = Buffer.allocUnsafe(object.info.size);
      let length = 0;
      for (let next = await Promise.race([reader.read(), expired]); !next.done;) {
        if (length + next.value.byteLength > bytes.length) throw new Error(`snapshot ${name} is longer than its size`);
        bytes.set(next.value, length);
        length += next.value.byteLength;
        next = await Promise.race([reader.read(), expired]);
      }
      const failed = await Promise.race([object.error, expired]);
      if (failed) throw failed;
      if (length !== bytes.length) throw new Error(`snapshot ${name} is ${length} bytes, not its size ${bytes.length}`);
      return bytes;
    } catch (err) {
      // The object store's consumer would otherwise go on pulling chunks nobody reads.
      void reader.cancel().catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** In chunks of SNAPSHOT_CHUNK_BYTES, each published on its own (a timeout is per chunk). */
  async write(name: string, bytes: Uint8Array): Promise<boolean> {
    let offset = 0;
    const chunks = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.byteLength) controller.close();
        else controller.enqueue(bytes.subarray(offset, (offset += SNAPSHOT_CHUNK_BYTES)));
      },
    });
    // Compare-and-set on the object's metadata: of two replicas writing at once, the second fails
    // (and purges its own chunks) instead of leaving the first one's chunks referenced by nothing.
    const current = await this.objects.info(name);
    try {
      await this.objects.put({ name, options: { max_chunk_size: SNAPSHOT_CHUNK_BYTES } }, chunks, {
        timeout: 30_000,
        previousRevision: current?.revision ?? 0,
      });
      return true;
    } catch (err) {
      if (/wrong last sequence/i.test(describeError(err))) return false;
      throw err;
    }
  }

  async remove(name: string): Promise<void> {
    const info = await this.objects.info(name);
    if (info && !info.deleted) await this.objects.delete(name);
  }
}

export interface SnapshotSettings {
  service: string;
  release: string;
  /** A new snapshot once this many events were applied since the last one (0: no snapshots at all). */
  everyEvents: number;
  /** How often that is checked, in ms. */
  intervalMs: number;
  log: (message: string) => void;
  warn: (message: string) => void;
}

interface Followed {
  name: string;
  snapshot: ProjectionSnapshot;
  /** Per subscription, the last event applied: what a capture now would hold. */
  lasts: SnapshotPart[];
  applied: number;
  appliedAtLastWrite: number;
  /** No new snapshot before this time (performance.now()): see BLOCKED_SHARE. */
  notBefore: number;
}

/**
 * Capturing and encoding a snapshot blocks the service (a 200 MiB state: seconds).
 * After a capture that took T ms, the next one waits at least BLOCKED_SHARE × T,
 * so snapshots never hold a busy service up for more than about 1% of the time.
 * Captures under BLOCKED_FLOOR_MS are not worth pacing.
 */
const BLOCKED_SHARE = 100;
const BLOCKED_FLOOR_MS = 50;

type Applied = { position: number; id: string };

/**
 * Restores projections from their snapshots at start-up and writes new ones
 * as they apply more of the log: right after the catch-up when it replayed
 * many events, then whenever `everyEvents` more were applied. One write at a
 * time; a failed write is logged and tried again at a later check (the next one, unless its capture was long enough to be paced).
 */
export class ProjectionSnapshots {
  private readonly followed: Followed[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly store: () => Promise<SnapshotStore>,
    private readonly log: Pick<EventStore, 'readAll'>,
    private readonly settings: SnapshotSettings,
  ) {}

  get enabled(): boolean {
    return this.settings.everyEvents > 0;
  }

  /**
   * Brings the projection's snapshot back if there is a usable one. The
   * projection is fed by `applies.length` subscriptions (one filter each,
   * always given in the same order); returns, for each, the position to
   * follow the log after (0: from the start) and its `apply` wrapped so that
   * later snapshots know what they hold.
   */
  async restore<E extends Applied>(
    name: string,
    snapshot: ProjectionSnapshot,
    applies: readonly ((event: E) => void)[],
  ): Promise<{ after: number; apply: (event: E) => void }[]> {
    const entry: Followed = {
      name,
      snapshot,
      lasts: applies.map(() => ({ position: 0, eventId: '' })),
      applied: 0,
      appliedAtLastWrite: 0,
      notBefore: 0,
    };
    this.followed.push(entry);
    const from = (afters: readonly number[]) =>
      applies.map((apply, i) => ({
        after: afters[i] ?? 0,
        apply: (event: E) => {
          try {
            apply(event);
          } finally {
            // An event apply() throws on is skipped, whatever it changed kept: a snapshot holds it as applied.
            entry.lasts[i] = { position: event.position, eventId: event.id };
            entry.applied++;
          }
        },
      }));
    const fromStart = () => from([]);
    if (!this.enabled) return fromStart();
    const started = performance.now();
    const key = this.keyOf(name);
    let bytes: Uint8Array | undefined;
    try {
      bytes = await (await this.store()).read(key);
    } catch (err) {
      this.settings.warn(`snapshot ${key} cannot be read (${describeError(err)}): replaying the log`);
      return fromStart();
    }
    if (!bytes) return fromStart();
    const stale = (why: string) => {
      this.settings.log(`snapshot ${key} not used (${why}): replaying the log`);
      return fromStart();
    };
    let decoded: ReturnType<typeof decodeSnapshot>;
    try {
      decoded = decodeSnapshot(bytes);
    } catch (err) {
      return stale(describeError(err));
    }
    const { header } = decoded;
    if (header.service !== this.settings.service || header.projection !== name)
      return stale(`it is ${header.service}.${header.projection}'s`);
    if (header.version !== snapshot.version)
      return stale(`version ${header.version}, this code keeps ${snapshot.version}`);
    if (header.release !== this.settings.release)
      return stale(`written by release ${header.release}, this is ${this.settings.release}`);
    if (!Number.isSafeInteger(header.eventsApplied) || header.eventsApplied < 0)
      return stale(`its event count ${String(header.eventsApplied)} is not a count`);
    if (!Array.isArray(header.parts) || header.parts.length !== applies.length)
      return stale(`it holds ${header.parts?.length ?? 0} subscriptions, this code follows ${applies.length}`);
    for (const part of header.parts) {
      if (part.position === 0) continue;
      const found = await this.eventAt(part.position);
      if (found?.id !== part.eventId)
        return stale(
          found
            ? `the log holds event ${found.id} at position ${part.position}, the snapshot names ${part.eventId}`
            : `the log has no event at position ${part.position}`,
        );
    }
    try {
      snapshot.restore(decoded.state());
    } catch (err) {
      // restore() is handed a fresh model: a failure part-way leaves it half-filled, which only a new process undoes.
      // That process must not meet the same snapshot (a restart loop): it is removed, and the next start replays.
      const removed = await (await this.store()).remove(key).then(
        () => 'removed it: the next start replays the log',
        (removeErr: unknown) => `could not remove it either (${describeError(removeErr)})`,
      );
      throw new Error(`snapshot ${key} could not be restored (${removed}): ${describeError(err)}`, { cause: err });
    }
    entry.lasts = header.parts.map((p) => ({ ...p }));
    entry.applied = entry.appliedAtLastWrite = header.eventsApplied;
    this.settings.log(
      `restored ${name} from its snapshot at position ${Math.max(...header.parts.map((p) => p.position))} ` +
        `(${header.eventsApplied} events, ${(bytes.byteLength / 1048576).toFixed(1)} MiB) in ` +
        `${Math.round(performance.now() - started)} ms`,
    );
    return from(header.parts.map((p) => p.position));
  }

  /** Starts writing snapshots: at once for projections that replayed at least `everyEvents`, then on the interval. */
  start(): void {
    if (!this.enabled || this.followed.length === 0 || this.stopped) return;
    this.check();
    this.timer = setInterval(() => this.check(), this.settings.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a write in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.writing;
  }

  /** Writes a snapshot of every projection due for one now (tests and a graceful stop may call it). */
  check(): Promise<void> {
    // AOS_SNAPSHOT_EVENTS=0 turns snapshots off: none is written, whoever asks.
    if (!this.enabled) return this.writing;
    this.writing = this.writing.then(async () => {
      for (const entry of this.followed) {
        if (this.stopped) return;
        if (entry.applied - entry.appliedAtLastWrite < this.settings.everyEvents) continue;
        if (performance.now() < entry.notBefore) continue;
        await this.write(entry);
      }
    });
    return this.writing;
  }

  private async write(entry: Followed): Promise<void> {
    const key = this.keyOf(entry.name);
    const started = performance.now();
    try {
      // Synchronous from capture to encode: no event is applied in between, so the state is the one at `lasts`.
      const parts = entry.lasts.map((p) => ({ ...p }));
      const applied = entry.applied;
      const bytes = encodeSnapshot(
        {
          format: FORMAT,
          service: this.settings.service,
          projection: entry.name,
          version: entry.snapshot.version,
          release: this.settings.release,
          parts,
          eventsApplied: applied,
          writtenAt: new Date().toISOString(),
        },
        entry.snapshot.capture(),
      );
      const encodedMs = performance.now() - started;
      entry.notBefore = encodedMs >= BLOCKED_FLOOR_MS ? performance.now() + BLOCKED_SHARE * encodedMs : 0;
      const written = await (await this.store()).write(key, bytes);
      entry.appliedAtLastWrite = applied;
      if (!written) {
        this.settings.log(`snapshot ${key} not written: another instance wrote one meanwhile`);
        return;
      }
      this.settings.log(
        `wrote snapshot ${key} at position ${Math.max(...parts.map((p) => p.position))} (${(bytes.byteLength / 1048576).toFixed(1)} MiB; ` +
          `${Math.round(encodedMs)} ms to capture, ${Math.round(performance.now() - started - encodedMs)} ms to store)`,
      );
    } catch (err) {
      this.settings.warn(`snapshot ${key} not written: ${describeError(err)}`);
    }
  }

  private async eventAt(position: number): Promise<{ id: string } | undefined> {
    if (!Number.isSafeInteger(position) || position < 1) return undefined;
    for await (const event of this.log.readAll({ after: position - 1, limit: 1 }))
      return event.position === position ? event : undefined;
    return undefined;
  }

  private keyOf(name: string): string {
    return `${this.settings.service}.${name}`;
  }
}
