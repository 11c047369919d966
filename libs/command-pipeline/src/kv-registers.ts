import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { UnavailableError, describeError } from '@aos/errors';
import type { NameHolding } from '@aos/domain';

/** One name's register as read: what it holds, its revision (for the next write), and when it was written. */
export interface NameRecord {
  holding: NameHolding;
  revision: number;
  /** ISO time of the write, by the server's clock. */
  since: string;
}

/**
 * Where names are held: compare-and-set registers, one per key. Only the
 * log's aggregates say who carries a name; the registers only arbitrate
 * concurrent claims, so they can be lost and rebuilt from nothing.
 */
export interface NameLedger {
  /** The register of `key`; undefined when it was never written. */
  read(key: string): Promise<NameRecord | undefined>;
  /** Writes `holding` if the register is still at `revision` (0: never written); false when another writer got there first. */
  write(key: string, holding: NameHolding, revision: number): Promise<boolean>;
}

/** The bucket's name: one for the whole installation (keys start with the tenant). */
export const NAME_BUCKET = 'aos_names';

/**
 * The NameLedger in a JetStream KV bucket: a write is a put with the key's
 * expected last revision, refused by the server when another writer got there
 * first — across every process that talks to the same NATS (cluster).
 */
export class JetStreamKvNameLedger implements NameLedger {
  private constructor(private readonly kv: KV) {}

  /** Opens the bucket, creating it on first use (file storage, one value per key). */
  static async open(nc: NatsConnection, options: { replicas?: number } = {}): Promise<JetStreamKvNameLedger> {
    const kv = await new Kvm(nc).create(NAME_BUCKET, {
      history: 1,
      replicas: options.replicas ?? 1,
      description: 'AgentOS name reservations: one register per tenant, kind and name',
    });
    return new JetStreamKvNameLedger(kv);
  }

  async read(key: string): Promise<NameRecord | undefined> {
    try {
      const entry = await this.kv.get(key);
      if (!entry || entry.operation !== 'PUT') return undefined;
      return { holding: entry.json<NameHolding>(), revision: entry.revision, since: entry.created.toISOString() };
    } catch (err) {
      throw new UnavailableError(`the name registers cannot be read: ${describeError(err)}`, { cause: err });
    }
  }

  async write(key: string, holding: NameHolding, revision: number): Promise<boolean> {
    const value = JSON.stringify(holding);
    try {
      if (revision === 0) await this.kv.create(key, value);
      else await this.kv.update(key, value, revision);
      return true;
    } catch (err) {
      if (/wrong last sequence|key exists/i.test(describeError(err))) return false;
      throw new UnavailableError(`the name registers cannot be written: ${describeError(err)}`, { cause: err });
    }
  }
}
