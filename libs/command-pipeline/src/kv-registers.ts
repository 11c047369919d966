import {
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type JetStreamClient,
} from '@nats-io/jetstream';
import { ConnectionWatch, retryTransient, STARTUP_RETRY_MS, waitForLeader } from '@aos/event-store';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { UnavailableError, describeError } from '@aos/errors';
import type { NameHolding } from '@aos/domain';

/** One register as read: its value, its revision (for the next write), and when it was written. */
export interface RegisterRecord<T> {
  value: T;
  revision: number;
  /** ISO time of the write, by the server's clock. */
  since: string;
}

/**
 * Compare-and-set registers, one per key, shared by every instance of a
 * service: what arbitrates concurrent writers where the log's
 * expected-revision check cannot (a claim that spans several streams).
 */
export interface Registers<T> {
  /** The register of `key`; undefined when it was never written (or was deleted). */
  read(key: string): Promise<RegisterRecord<T> | undefined>;
  /** Writes `value` if the register is still at `revision` (0: never written); false when another writer got there first. */
  write(key: string, value: T, revision: number): Promise<boolean>;
}

export interface RegistersOptions {
  /** Copies of the bucket (AOS_JETSTREAM_REPLICAS) when this creates it; default 1. */
  replicas?: number;
  /** What the bucket holds, for operators (`nats kv ls`). */
  description: string;
  /** Names the registers in errors, e.g. "name registers". */
  what: string;
}

/**
 * Registers in a JetStream KV bucket: a write is a put with the key's
 * expected last revision, refused by the server when another writer got
 * there first — across every process that talks to the same NATS (cluster).
 * On a replicated bucket reads go to its leader: a follower answering a
 * direct get may not have the newest write yet.
 *
 * The put also carries a message id naming the write after that revision
 * (`<key>@<revision>`): nats-server 2.9 checks a clustered stream's expected
 * subject sequence only before proposing, so concurrent writers of one
 * revision could all pass (nats-io/nats-server#4320); duplicates are decided
 * as the log is applied, so exactly one of them is stored.
 */
export class JetStreamKvRegisters<T> implements Registers<T> {
  private constructor(
    private readonly kv: KV,
    private readonly js: JetStreamClient,
    private readonly bucket: string,
    private readonly what: string,
    /** Fails a request at once when the connection is lost (it would be discarded). */
    private readonly watch: ConnectionWatch,
  ) {}

  /** Opens the bucket, creating it on first use (file storage, one value per key). */
  static async open<T>(
    nc: NatsConnection,
    bucket: string,
    options: RegistersOptions,
  ): Promise<JetStreamKvRegisters<T>> {
    const replicas = options.replicas ?? 1;
    const kvm = new Kvm(nc);
    // Idempotent: instances starting together on a fresh cluster may each try.
    const kv = await retryTransient(
      () =>
        kvm.create(bucket, {
          history: 1,
          replicas,
          ...(replicas > 1 && { allow_direct: false }),
          description: options.description,
        }),
      STARTUP_RETRY_MS,
      { timeouts: true, creating: true },
    );
    if (replicas > 1) {
      const jsm = await retryTransient(() => jetstreamManager(nc), STARTUP_RETRY_MS, { timeouts: true });
      await waitForLeader(() => jsm.streams.info(`KV_${bucket}`), STARTUP_RETRY_MS);
    }
    return new JetStreamKvRegisters<T>(kv, jetstream(nc), bucket, options.what, new ConnectionWatch(nc));
  }

  async read(key: string): Promise<RegisterRecord<T> | undefined> {
    try {
      const entry = await retryTransient(() => this.guard(() => this.kv.get(key)));
      if (!entry || entry.operation !== 'PUT') return undefined;
      return { value: entry.json<T>(), revision: entry.revision, since: entry.created.toISOString() };
    } catch (err) {
      throw new UnavailableError(`the ${this.what} cannot be read: ${describeError(err)}`, { cause: err });
    }
  }

  private guard<R>(request: () => Promise<R>): Promise<R> {
    return this.watch.guard(request, (cause) => cause);
  }

  async write(key: string, value: T, revision: number): Promise<boolean> {
    const text = JSON.stringify(value);
    try {
      // A repeat is safe: the message id makes it a duplicate of one that got through.
      const ack = await retryTransient(() =>
        this.guard(() =>
          this.js.publish(`$KV.${this.bucket}.${key}`, text, {
            msgID: `${key}@${revision}`,
            expect: { lastSubjectSequence: revision },
          }),
        ),
      );
      if (!ack.duplicate) return true;
      // Another write after this revision was stored first; it counts as this one only if it is the same.
      return (await retryTransient(() => this.guard(() => this.kv.get(key, { revision: ack.seq }))))?.string() === text;
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence)) {
        throw new UnavailableError(`the ${this.what} cannot be written: ${describeError(err)}`, { cause: err });
      }
    }
    // The register moved on. A retry of a write already stored finds it there (on a cluster the
    // expected revision is checked before duplicates are); anything else lost the race.
    try {
      return (await retryTransient(() => this.guard(() => this.kv.get(key))))?.string() === text;
    } catch (err) {
      throw new UnavailableError(`the ${this.what} cannot be read: ${describeError(err)}`, { cause: err });
    }
  }
}

/** Where names are held. Only the log's aggregates say who carries a name; the registers only arbitrate concurrent claims, so they can be lost and rebuilt from nothing. */
export type NameLedger = Registers<NameHolding>;
export type NameRecord = RegisterRecord<NameHolding>;

/** The names bucket: one for the whole installation (keys start with the tenant). */
export const NAME_BUCKET = 'aos_names';

/** The NameLedger in the `aos_names` KV bucket. */
export const JetStreamKvNameLedger = {
  open: (nc: NatsConnection, options: { replicas?: number } = {}): Promise<NameLedger> =>
    JetStreamKvRegisters.open<NameHolding>(nc, NAME_BUCKET, {
      ...options,
      description: 'AgentOS name reservations: one register per tenant, kind and name',
      what: 'name registers',
    }),
};
