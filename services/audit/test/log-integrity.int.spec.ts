import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditSubjects, type Base64Bytes, type VerifyLogResponse } from '@aos/contracts';
import { loadConfig } from '@aos/config';
import { CHECKPOINT_CATEGORY, type CheckpointSignedData } from '@aos/domain';
import { createEventStore, type EventStore, type NewEvent } from '@aos/event-store';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import {
  MerkleTree,
  eventLeaf,
  noteSigner,
  openCheckpoint,
  parseVerifierKey,
  positionsDigest,
  sealedEvent,
  signCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from '@aos/merkle-log';
import { SEALED_DATA_FIELDS } from '@aos/domain';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { startAudit, type AuditHandle } from '../src/bootstrap';
import { loadLogKey } from '../src/log-key';
import { verifyLog } from '../src/log-verifier';

type LoggedEventLike = Parameters<typeof eventLeaf>[0];

const TENANT = 'acme';
const OTHER = 'globex';
/** The log under test holds at least this many events of the tenant. */
const EVENTS = 10_000;

const ctx = (tenantId = TENANT): RequestContext => ({
  tenantId,
  actor: { kind: 'user', id: 'auditor' },
  correlationId: randomUUID(),
});

function event(tenantId: string, type: string, data: unknown, actorId = 'alice'): NewEvent {
  return {
    id: randomUUID(),
    type,
    data,
    metadata: {
      tenantId,
      actor: { kind: 'user', id: actorId },
      correlationId: randomUUID(),
      causationId: randomUUID(),
      requestId: `req-${randomUUID()}`,
      schemaVersion: 1,
    },
  };
}

/** One raw record of the AOS_EVENTS stream, as a tamperer copying the store's files would see it. */
interface RawRecord {
  subject: string;
  data: Uint8Array;
}

/** A log (nats-server + store) and an audit service on it; every log shares one data dir, and so the signing key. */
interface Log {
  nats: NatsServerHandle;
  store: EventStore;
  audit: AuditHandle;
  client: ServiceClient;
  close(): Promise<void>;
}

/** A log built by buildLog: 10,002 events of the tenant, three checkpoints, 100 more events between the 2nd and 3rd. */
interface Built {
  log: Log;
  storeDir: string;
  checkpoints: CheckpointSignedData[];
  /** Positions of the checkpoint events. */
  checkpointPositions: number[];
  /** Positions of the tenant's ordinary events (not checkpoints), in order. */
  tenantPositions: number[];
}

describe('audit log integrity on a real log of 10k+ events (tamper evidence)', () => {
  let dataDir: string;
  let original: Built;
  const logs: Log[] = [];

  async function openLog(nats: NatsServerHandle): Promise<Log> {
    const store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
    const audit = await startAudit(
      loadConfig({
        AOS_NATS_URL: nats.url,
        AOS_DATA_DIR: dataDir,
        AOS_LOG_LEVEL: 'warn',
        AOS_AUDIT_CHECKPOINT_INTERVAL_MS: '0',
      }),
    );
    const client = new ServiceClient(nats.url);
    await client.connect();
    const log: Log = {
      nats,
      store,
      audit,
      client,
      async close() {
        await client.close();
        await audit.close();
        await store.close();
        await nats.stop();
      },
    };
    logs.push(log);
    return log;
  }

  async function buildLog(): Promise<Built> {
    const storeDir = await mkdtemp(join(tmpdir(), 'aos-integrity-js-'));
    const log = await openLog(await startNatsServer({ storeDir }));
    const { store } = log;
    // Another tenant's events before and among the tenant's: its tree is its own.
    await store.append({ tenantId: OTHER, category: 'agent', id: 'g1' }, [
      event(OTHER, 'AgentCreated', { name: 'g1' }),
    ]);
    // A secret hash and a document's bytes: sealed in the leaves.
    await store.append({ tenantId: TENANT, category: 'principal', id: 'p1' }, [
      event(TENANT, 'ApiKeyCreated', { keyId: 'k1', hash: '$scrypt$secret-hash', prefix: 'aos_ab12' }),
    ]);
    await store.append({ tenantId: TENANT, category: 'kb', id: 'kb1' }, [
      event(TENANT, 'BlobPartStored', { blobId: 'b1', part: 0, data: Buffer.from('confidential').toString('base64') }),
    ]);
    for (let agent = 0; agent < EVENTS / 50; agent++) {
      const batch = Array.from({ length: 50 }, (_, i) =>
        event(TENANT, i === 0 ? 'AgentCreated' : 'AgentUpdated', {
          name: `agent-${agent}`,
          step: i,
          note: 'x'.repeat(40),
        }),
      );
      await store.append({ tenantId: TENANT, category: 'agent', id: `a${agent}` }, batch);
    }
    // 10k events make three checkpoints (at most 4096 leaves each); then more events and a fourth.
    await log.client.request(AuditSubjects.createCheckpoint, ctx(), {}, 60_000);
    for (let i = 0; i < 100; i++) {
      await store.append({ tenantId: TENANT, category: 'agent', id: 'late' }, [
        event(TENANT, 'AgentUpdated', { name: 'late', step: i }),
      ]);
    }
    await store.append({ tenantId: OTHER, category: 'agent', id: 'g1' }, [event(OTHER, 'AgentDeployed', {})]);
    await log.client.request(AuditSubjects.createCheckpoint, ctx(), {}, 60_000);
    const stored = await store.readStream({ tenantId: TENANT, category: CHECKPOINT_CATEGORY, id: TENANT });
    const tenantPositions: number[] = [];
    for await (const e of store.readAll({ filter: { tenantId: TENANT } })) {
      if (e.category !== CHECKPOINT_CATEGORY) tenantPositions.push(e.position);
    }
    return {
      log,
      storeDir,
      checkpoints: stored.map((e) => e.data as CheckpointSignedData),
      checkpointPositions: stored.map((e) => e.position),
      tenantPositions,
    };
  }

  const verify = (log: Log, body: Record<string, unknown> = {}) =>
    log.client.request(AuditSubjects.verifyLog, ctx(), body, 60_000) as Promise<Base64Bytes<VerifyLogResponse>>;

  async function withJetStream<T>(log: Log, use: (nc: NatsConnection) => Promise<T>): Promise<T> {
    const nc = await connect({ servers: log.nats.url });
    try {
      return await use(nc);
    } finally {
      await nc.close();
    }
  }

  /**
   * What an operator with JetStream access can do to the middle of a log:
   * delete every record from `fromSeq` on and publish a rewritten tail (the
   * rewritten records get new positions after the old last one).
   */
  async function rewriteTail(log: Log, fromSeq: number, rewrite: (tail: RawRecord[]) => RawRecord[]): Promise<void> {
    await withJetStream(log, async (nc) => {
      const jsm = await jetstreamManager(nc);
      const last = (await jsm.streams.info('AOS_EVENTS')).state.last_seq;
      const tail: RawRecord[] = [];
      for (let seq = fromSeq; seq <= last; seq++) {
        const m = await jsm.streams.getMessage('AOS_EVENTS', { seq });
        if (m) tail.push({ subject: m.subject, data: m.data });
        await jsm.streams.deleteMessage('AOS_EVENTS', seq);
      }
      const js = jetstream(nc);
      for (const r of rewrite(tail)) await js.publish(r.subject, r.data);
    });
  }

  const bodyOf = (r: RawRecord) =>
    JSON.parse(Buffer.from(r.data).toString('utf8')) as { id: string; data: { name?: string; step?: number } };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aos-audit-integrity-'));
    original = await buildLog();
  }, 180_000);

  afterAll(async () => {
    for (const log of logs) await log.close().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('signs chained checkpoints into the log (at most 4096 leaves each) and the untouched log verifies', async () => {
    const { log, checkpoints, checkpointPositions } = original;
    // The first call signed 4096 leaves at a time; their three events are leaves of the fourth.
    expect(checkpoints.map((c) => c.treeSize)).toEqual([4096, 8192, 10_002, 10_002 + 3 + 100]);
    expect(checkpoints.map((c) => c.fromSize)).toEqual([0, 4096, 8192, 10_002]);
    const key = await log.client.request(AuditSubjects.getLogKey, ctx(), {});
    expect(key.origin).toBe(`agentos/tenants/${TENANT}`);
    const verifier = parseVerifierKey(key.verifierKey);
    for (const c of checkpoints) {
      const opened = openCheckpoint(c.note, verifier);
      expect(opened.size).toBe(c.treeSize);
      expect(opened.rootHash.toString('base64')).toBe(c.rootHash);
      expect(opened.positions).toBe(positionsDigest(c.positions));
    }
    const newest = await log.client.request(AuditSubjects.getCheckpoint, ctx(), {});
    expect(newest).toMatchObject({ treeSize: checkpoints[3].treeSize, position: checkpointPositions[3] });

    const result = await verify(log);
    expect(result).toMatchObject({
      ok: true,
      problem: 'VERIFY_PROBLEM_UNSPECIFIED',
      checkpointsChecked: 4,
      verifiedTreeSize: checkpoints[3].treeSize,
      firstBadPosition: 0,
      // Only the newest checkpoint's own event came after it.
      unverifiedEvents: 1,
      eventsChecked: checkpoints[3].treeSize + 1,
    });
    // The other tenant has a tree of its own, with no checkpoint yet: nothing proven, nothing wrong.
    const other = await log.client.request(AuditSubjects.verifyLog, ctx(OTHER), {});
    expect(other).toMatchObject({ ok: true, checkpointsChecked: 0, unverifiedEvents: 2 });
    // A range: the events covered by a checkpoint ending before after_position are not read again.
    const range = await verify(log, { afterPosition: checkpoints[2].lastPosition });
    expect(range).toMatchObject({ ok: true, eventsChecked: 3 + 100 + 1 });
    // Nothing new since the newest: CreateCheckpoint answers it again rather than signing.
    const again = await log.client.request(AuditSubjects.createCheckpoint, ctx(), {});
    expect(again.treeSize).toBe(checkpoints[3].treeSize);
  });

  it('computes each leaf from the sealed event: the tree recomputed from the log gives the signed root', async () => {
    const events = [];
    for await (const e of original.log.store.readAll({ filter: { tenantId: TENANT } })) events.push(e);
    const tree = new MerkleTree();
    for (const e of events) tree.append(eventLeaf(e, SEALED_DATA_FIELDS));
    const newest = original.checkpoints[3];
    expect(tree.rootAt(newest.treeSize).toString('base64')).toBe(newest.rootHash);
    // The secret is in the log, but a leaf (and so a bundle) holds only its seal.
    const apiKey = events.find((e) => e.type === 'ApiKeyCreated');
    expect(JSON.stringify(apiKey?.data)).toContain('secret-hash');
    expect(JSON.stringify(sealedEvent(apiKey!, SEALED_DATA_FIELDS))).not.toContain('secret-hash');
  });

  it('answers inclusion and consistency proofs that verify against the signed roots, and refuses bad input', async () => {
    const { log, checkpoints, tenantPositions } = original;
    const verifier = parseVerifierKey((await log.client.request(AuditSubjects.getLogKey, ctx(), {})).verifierKey);
    const position = tenantPositions[4321];
    const proof = await log.client.request(AuditSubjects.getInclusionProof, ctx(), { position });
    const signed = openCheckpoint(proof.checkpointNote, verifier);
    expect(proof.treeSize).toBe(checkpoints[3].treeSize);
    const hashes = proof.hashes.map((h) => Buffer.from(h, 'base64'));
    const leaf = Buffer.from(proof.leafHash, 'base64');
    expect(verifyInclusion(leaf, proof.leafIndex, proof.treeSize, hashes, signed.rootHash)).toBe(true);
    expect(verifyInclusion(leaf, proof.leafIndex + 1, proof.treeSize, hashes, signed.rootHash)).toBe(false);

    const older = openCheckpoint(checkpoints[0].note, verifier);
    const consistency = await log.client.request(AuditSubjects.getConsistencyProof, ctx(), {
      firstTreeSize: older.size,
    });
    const consistencyHashes = consistency.hashes.map((h) => Buffer.from(h, 'base64'));
    expect(verifyConsistency(older.size, signed.size, older.rootHash, signed.rootHash, consistencyHashes)).toBe(true);

    await expect(log.client.request(AuditSubjects.getInclusionProof, ctx(), { position: -1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'position',
    });
    // Position 1 is the other tenant's event: not in this tenant's tree.
    await expect(log.client.request(AuditSubjects.getInclusionProof, ctx(), { position: 1 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(
      log.client.request(AuditSubjects.getConsistencyProof, ctx(), { firstTreeSize: 0 }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'first_tree_size' });
    await expect(
      log.client.request(AuditSubjects.verifyLog, ctx(), { untilPosition: 'soon' as unknown as number }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'until_position' });
    await expect(log.client.request(AuditSubjects.getCheckpoint, ctx(), { treeSize: 5 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(log.client.request(AuditSubjects.createCheckpoint, ctx('empty-tenant'), {})).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
    });
  });

  it('a byte flipped in one event: the first bad position is that event', async () => {
    // JetStream has no in-place edit, and its file store checksums every record (an edited file hides the
    // record: seen as a deletion). Through JetStream an edit is a rewrite: the record from there on deleted
    // and published again, the first with a byte changed.
    const built = await buildLog();
    const target = built.tenantPositions[9000];
    await rewriteTail(built.log, target, ([first, ...rest]) => {
      const data = Buffer.from(first.data);
      data[data.indexOf('agent-')] = 'A'.charCodeAt(0);
      return [{ ...first, data }, ...rest];
    });
    const result = await verify(built.log);
    expect(result).toMatchObject({ ok: false, problem: 'EVENT_CHANGED', firstBadPosition: target });
    expect(result.reason).toContain(`position ${target}`);
  }, 60_000);

  it('an event changed where it stands (same position and time): named as changed', async () => {
    // What an attacker who rewrites a store file and its checksums achieves: the log's own bytes, one changed.
    const { log } = original;
    const target = original.tenantPositions[5000];
    const key = await loadLogKey(loadConfig({ AOS_DATA_DIR: dataDir }));
    const tenantLog = async function* (after: number) {
      for await (const e of log.store.readAll({ after, filter: { tenantId: TENANT } })) {
        yield e.position === target ? { ...e, data: { ...(e.data as object), name: 'Agent-x' } } : e;
      }
    };
    const result = await verifyLog({
      checkpoints: await log.store.readStream({ tenantId: TENANT, category: CHECKPOINT_CATEGORY, id: TENANT }),
      events: tenantLog,
      verifier: key.verifier,
      origin: `agentos/tenants/${TENANT}`,
      afterPosition: 0,
      untilPosition: await log.store.headPosition(),
      untilGiven: false,
    });
    expect(result).toMatchObject({ ok: false, problem: 'EVENT_CHANGED', firstBadPosition: target });
    expect(result.reason).toContain('was changed');
  });

  it('an unsigned field of a checkpoint altered (its last position), or an event stripped of its envelope: still named', async () => {
    const { log } = original;
    const key = await loadLogKey(loadConfig({ AOS_DATA_DIR: dataDir }));
    const target = original.tenantPositions[6000];
    const checkpoints = await log.store.readStream({ tenantId: TENANT, category: CHECKPOINT_CATEGORY, id: TENANT });
    const run = (
      alterCheckpoint: (e: (typeof checkpoints)[number], i: number) => (typeof checkpoints)[number],
      alterEvent: (e: LoggedEventLike) => LoggedEventLike,
    ) =>
      verifyLog({
        checkpoints: checkpoints.map(alterCheckpoint),
        events: async function* (after: number) {
          for await (const e of log.store.readAll({ after, filter: { tenantId: TENANT } })) yield alterEvent(e);
        },
        verifier: key.verifier,
        origin: `agentos/tenants/${TENANT}`,
        afterPosition: 0,
        untilPosition: Number.MAX_SAFE_INTEGER,
        untilGiven: true,
      });
    // The newest checkpoint claims to end at position 0 (lastPosition is not signed; its positions are).
    const lastPositionZero = await run(
      (e, i) => (i === checkpoints.length - 1 ? { ...e, data: { ...(e.data as object), lastPosition: 0 } } : e),
      (e) => (e.position === target ? { ...e, data: { ...(e.data as object), name: 'Agent-x' } } : e),
    );
    expect(lastPositionZero).toMatchObject({ ok: false, firstBadPosition: target });
    // An event with no metadata at all: a leaf no signer gave, not a crash.
    const stripped = await run(
      (e) => e,
      (e) => (e.position === target ? ({ ...e, metadata: undefined } as unknown as LoggedEventLike) : e),
    );
    expect(stripped).toMatchObject({ ok: false, problem: 'EVENT_CHANGED', firstBadPosition: target });
  });

  it('one event deleted: the first bad position is the deleted event', async () => {
    const built = await buildLog();
    const target = built.tenantPositions[7000];
    await withJetStream(built.log, async (nc) =>
      (await jetstreamManager(nc)).streams.deleteMessage('AOS_EVENTS', target),
    );
    expect(await verify(built.log)).toMatchObject({ ok: false, problem: 'EVENT_CHANGED', firstBadPosition: target });
  }, 60_000);

  it('two events reordered: the first bad position is the earlier', async () => {
    const built = await buildLog();
    const [a, b] = [built.tenantPositions[9950], built.tenantPositions[9953]];
    await rewriteTail(built.log, a, (tail) => {
      const out = [...tail];
      [out[0], out[b - a]] = [out[b - a], out[0]];
      return out;
    });
    expect(await verify(built.log)).toMatchObject({ ok: false, problem: 'EVENT_CHANGED', firstBadPosition: a });
  }, 60_000);

  it('one event inserted: the first bad position is where the log stops being the signed one', async () => {
    const built = await buildLog();
    const at = built.tenantPositions[9900];
    await rewriteTail(built.log, at, (tail) => {
      const forged = bodyOf(tail[0]);
      forged.id = randomUUID();
      return [{ subject: tail[0].subject, data: Buffer.from(JSON.stringify(forged)) }, ...tail];
    });
    expect(await verify(built.log)).toMatchObject({ ok: false, problem: 'EVENT_CHANGED', firstBadPosition: at });
  }, 60_000);

  it('the whole tail replaced and re-signed with another key: the forged checkpoint is named', async () => {
    const built = await buildLog();
    const { log, checkpoints, checkpointPositions } = built;
    // Drop everything after the second checkpoint; write a new tail and sign it with the forger's key.
    await rewriteTail(log, checkpointPositions[2] + 1, () => []);
    // (A stream of its own: the log's duplicate window still holds the deleted records' message ids.)
    for (let i = 0; i < 100; i++) {
      await log.store.append({ tenantId: TENANT, category: 'agent', id: 'forged' }, [
        event(TENANT, i === 0 ? 'AgentCreated' : 'AgentUpdated', { name: 'forged', step: i }),
      ]);
    }
    const events = [];
    for await (const e of log.store.readAll({ filter: { tenantId: TENANT } })) events.push(e);
    const tree = new MerkleTree();
    for (const e of events) tree.append(eventLeaf(e, SEALED_DATA_FIELDS));
    const forger = noteSigner('agentos', generateKeyPairSync('ed25519').privateKey);
    const origin = `agentos/tenants/${TENANT}`;
    const fromSize = checkpoints[2].treeSize;
    const positions = events.slice(fromSize).map((e) => e.position);
    const rootHash = tree.root();
    const note = signCheckpoint(
      { origin, size: tree.size, rootHash, time: new Date().toISOString(), positions: positionsDigest(positions) },
      forger,
    );
    const data: CheckpointSignedData = {
      origin,
      treeSize: tree.size,
      rootHash: rootHash.toString('base64'),
      note,
      lastPosition: events.at(-1)!.position,
      fromSize,
      leaves: events.slice(fromSize).map((_, i) => tree.leafHash(fromSize + i).toString('base64')),
      positions,
    };
    // Published as the store would write it, at the revision the deleted checkpoint had.
    const forgedEvent = event(TENANT, 'CheckpointSigned', data, 'audit');
    const forged = await withJetStream(log, (nc) =>
      jetstream(nc).publish(
        `aos.ev.${TENANT}.${CHECKPOINT_CATEGORY}.${TENANT}`,
        JSON.stringify({ ...forgedEvent, revision: 3 }),
      ),
    );
    expect(await verify(log)).toMatchObject({
      ok: false,
      problem: 'BAD_SIGNATURE',
      firstBadPosition: forged.seq,
      verifiedTreeSize: checkpoints[2].treeSize,
    });
    // An auditor who kept the genuine newest checkpoint learns the log is not the one it signed.
    expect((await verify(log, { trustedCheckpoint: checkpoints[3].note })).ok).toBe(false);
  }, 60_000);

  it('a log cut back to an earlier checkpoint verifies on its own, but not against a checkpoint the auditor kept', async () => {
    const built = await buildLog();
    const { log, checkpoints, checkpointPositions } = built;
    await rewriteTail(log, checkpointPositions[2] + 1, () => []);
    expect(await verify(log)).toMatchObject({ ok: true, verifiedTreeSize: checkpoints[2].treeSize });
    expect(await verify(log, { trustedCheckpoint: checkpoints[3].note })).toMatchObject({
      ok: false,
      problem: 'EVENTS_MISSING',
    });
    expect(await verify(log, { trustedCheckpoint: 'not a note' })).toMatchObject({
      ok: false,
      problem: 'BAD_SIGNATURE',
    });
    expect(await verify(log, { trustedCheckpoint: checkpoints[2].note })).toMatchObject({ ok: true });
  }, 60_000);
});
