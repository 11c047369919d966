import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '@aos/config';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { startGovernance, type GovernanceService } from '../src/bootstrap';

const ROUNDS = Number(process.env.AOS_BOOTSTRAP_RACE_ROUNDS ?? 8);

let nats: NatsServerHandle | undefined;
const services: GovernanceService[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.allSettled(services.splice(0).map((s) => s.close()));
  await nats?.stop();
  nats = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('governance instances starting together on an empty log', () => {
  it.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))(
    'both record or find the one default tenant and start (round %i)',
    async () => {
      nats = await startNatsServer();
      const dataDir = mkdtempSync(join(tmpdir(), 'aos-gov-race-'));
      dirs.push(dataDir);
      const config = loadConfig({ AOS_NATS_URL: nats.url, AOS_LOG_LEVEL: 'warn', AOS_DATA_DIR: dataDir });
      const started = await Promise.allSettled([
        startGovernance(config, { shutdownHooks: false }),
        startGovernance(config, { shutdownHooks: false }),
      ]);
      for (const s of started) if (s.status === 'fulfilled') services.push(s.value);
      expect(started.map((s) => (s.status === 'rejected' ? String(s.reason) : 'started'))).toEqual([
        'started',
        'started',
      ]);
    },
    60_000,
  );
});
