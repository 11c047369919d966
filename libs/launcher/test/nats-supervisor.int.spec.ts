import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { startNatsServer, startSupervisedNatsServer, superviseNatsServer } from '../src/index';

const MESSAGES = 100;

describe('startSupervisedNatsServer', () => {
  it('restarts a kill -9ed server on the same port with its data, and stops for good on stop()', async () => {
    const events: string[] = [];
    const nats = await startSupervisedNatsServer({ onEvent: (message) => events.push(message) });
    const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'KEPT', subjects: ['kept.>'] });
      const js = jetstream(nc);
      for (let i = 1; i <= MESSAGES; i++) expect((await js.publish('kept.n', String(i))).seq).toBe(i);

      // Someone else's kill -9, not the handle's kill(): the supervisor only sees the exit.
      const firstPid = nats.pid;
      const reconnected = nextReconnect(nc);
      const killedAt = Date.now();
      process.kill(firstPid, 'SIGKILL');
      await expect
        .poll(() => nats.restarts === 1 && canConnect(nats.port), { timeout: 5_000, interval: 25 })
        .toBe(true);
      console.log(`supervised nats-server accepting connections again ${Date.now() - killedAt} ms after kill -9`);
      expect(nats.pid).not.toBe(firstPid);
      expect(nats.current.port).toBe(nats.port);
      expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);

      const fresh = await connect({ servers: nats.url });
      const state = (await (await jetstreamManager(fresh)).streams.info('KEPT')).state;
      await fresh.close();
      expect(state.messages).toBe(MESSAGES);
      expect(state.last_seq).toBe(MESSAGES);

      // The connection made before the kill carries on by itself once it has reconnected.
      // (nats.js drops what was published while it was reconnecting, so wait for that first.)
      await reconnected;
      console.log(`the client made before the kill reconnected ${Date.now() - killedAt} ms after kill -9`);
      expect((await js.publish('kept.n', 'after restart')).seq).toBe(MESSAGES + 1);
      expect(nc.isClosed()).toBe(false);

      // kill() on the supervised handle is a simulated crash, too.
      const reconnectedAgain = nextReconnect(nc);
      nats.kill();
      await expect.poll(() => nats.restarts, { timeout: 5_000, interval: 25 }).toBe(2);
      await reconnectedAgain;
      expect((await js.publish('kept.n', 'after second restart')).seq).toBe(MESSAGES + 2);
    } finally {
      await nc.close();
      await nats.stop();
    }

    const lastPid = nats.pid;
    expect((await nats.exited).requested).toBe(true);
    expect(() => process.kill(lastPid, 0)).toThrow();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(nats.restarts).toBe(2);
    expect(await canConnect(nats.port)).toBe(false);
    expect(existsSync(nats.storeDir)).toBe(false);
    expect(events.filter((event) => event.includes('exited unexpectedly'))).toHaveLength(2);
  });

  it('gives up when the server cannot be started again, and says so', async () => {
    const server = await startNatsServer({ jetstream: false });
    const events: string[] = [];
    let attempts = 0;
    const nats = superviseNatsServer(server, {
      restart: () => {
        attempts++;
        return Promise.reject(new Error('port taken'));
      },
      onEvent: (message) => events.push(message),
      retryEveryMs: 50,
      giveUpAfterMs: 500,
    });
    server.kill();
    const exit = await nats.exited;
    expect(exit).toMatchObject({ signal: 'SIGKILL', requested: false });
    expect(attempts).toBeGreaterThan(2);
    expect(nats.restarts).toBe(0);
    expect(events.at(-1)).toMatch(/giving up: port taken/);
    await nats.stop();
  });
});

/** Resolves on the connection's next `reconnect` status; call it before causing the disconnect. */
async function nextReconnect(nc: NatsConnection): Promise<void> {
  for await (const status of nc.status()) if (status.type === 'reconnect') return;
  throw new Error('connection closed before it reconnected');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(200, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
