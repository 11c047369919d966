import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { findNatsServerBinary, freePort, startNatsServer, type NatsServerHandle } from '../src/index';

describe('startNatsServer', () => {
  it('starts a JetStream server on a loopback port and removes its temp dir on stop', async () => {
    const server = await startNatsServer();
    try {
      expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
      expect(server.port).not.toBe(4222);
      const nc = await connect({ servers: server.url });
      const account = await (await jetstreamManager(nc)).getAccountInfo();
      expect(account.streams).toBe(0);
      await nc.close();
    } finally {
      await server.stop();
    }
    expect(existsSync(server.storeDir)).toBe(false);
    await server.stop();
  });

  it('restarts on the same port and store dir after a kill, keeping the data', async () => {
    const first = await startNatsServer();
    let second: NatsServerHandle | undefined;
    try {
      const before = await connect({ servers: first.url });
      await (await jetstreamManager(before)).streams.add({ name: 'KEPT', subjects: ['kept.>'] });
      await before.close();

      first.kill();
      // The port is free once the killed process has exited, not when the signal is sent.
      await first.exited;
      second = await startNatsServer({ port: first.port, storeDir: first.storeDir });

      const after = await connect({ servers: second.url });
      expect((await (await jetstreamManager(after)).streams.info('KEPT')).config.name).toBe('KEPT');
      await after.close();
    } finally {
      await second?.stop();
      await first.stop();
    }
    expect(existsSync(first.storeDir)).toBe(false);
  });

  it('leaves a store dir it was given in place', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aos-given-'));
    try {
      const server = await startNatsServer({ storeDir: dir });
      await server.stop();
      expect(existsSync(dir)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails with the server log when the server cannot start', async () => {
    const running = await startNatsServer({ jetstream: false });
    try {
      await expect(startNatsServer({ port: running.port })).rejects.toThrow(
        /did not come up[\s\S]*--- server stderr ---/,
      );
    } finally {
      await running.stop();
    }
  });
});

describe('findNatsServerBinary and freePort', () => {
  it('honours AOS_NATS_SERVER_BIN', () => {
    const saved = process.env.AOS_NATS_SERVER_BIN;
    try {
      process.env.AOS_NATS_SERVER_BIN = '/nonexistent/nats-server';
      expect(() => findNatsServerBinary()).toThrow(/AOS_NATS_SERVER_BIN/);
      delete process.env.AOS_NATS_SERVER_BIN;
      expect(findNatsServerBinary()).toMatch(/nats-server$/);
    } finally {
      if (saved === undefined) delete process.env.AOS_NATS_SERVER_BIN;
      else process.env.AOS_NATS_SERVER_BIN = saved;
    }
  });

  it('returns a usable port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });
});
