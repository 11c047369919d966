import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { startFakeGateway, StatusError, type FakeGateway } from './fake-gateway';

/**
 * Runs the real `bin/aos.mjs` as a child process against a local server that
 * speaks the aos.v1 protocol, checking the requests the CLI builds, its
 * output and its exit codes. The whole-stack behaviour is covered by the e2e suite.
 */
const AOS_BIN = fileURLToPath(new URL('../bin/aos.mjs', import.meta.url));
const KEY = 'cli-test-key-0123456789abcdef';

function agent(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    tenantId: 'default',
    name: `bot-${id}`,
    capabilities: ['billing'],
    labels: { team: 'support' },
    state: 'DRAFT',
    definitionVersion: 1,
    revision: 0,
    createdBy: 'user:admin',
    createTime: { seconds: 1_738_324_800, nanos: 0 },
    updateTime: { seconds: 1_738_324_800, nanos: 0 },
    logPosition: 7,
    ...overrides,
  };
}

function event(position: number): Record<string, unknown> {
  return {
    id: `ev-${position}`,
    type: 'AgentCreated',
    stream: 'agent-a1',
    revision: 0,
    position,
    time: { seconds: 1_738_324_800 + position, nanos: 0 },
    dataJson: '{}',
    metadata: { tenantId: 'default', actor: { kind: 'user', id: 'admin' }, schemaVersion: 1 },
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('aos CLI against a gRPC server', () => {
  let gateway: FakeGateway;
  let workDir: string;
  let replayCancelled = false;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'aos-cli-'));
    gateway = await startFakeGateway({
      unary: {
        CreateAgent: (req) => agent('a1', { ...(req.agent as object), id: 'a1' }),
        GetAgent: (req) => {
          if (req.id !== 'a1') throw new StatusError(grpc.status.NOT_FOUND, `agent "${String(req.id)}" not found`);
          return agent('a1', { state: 'ACTIVE', revision: 3 });
        },
        ListAgents: (req) =>
          req.pageToken === ''
            ? {
                agents: [agent('a1'), agent('a2', { name: 'second', state: 'ACTIVE', revision: 12 })],
                nextPageToken: 'p2',
                totalSize: 3,
              }
            : { agents: [agent('a3')], nextPageToken: '', totalSize: 3 },
        UpdateAgent: () => agent('a1', { revision: 4 }),
        PauseAgent: () => agent('a1', { state: 'PAUSED', revision: 5 }),
        ListEvents: () => ({ events: [event(1), event(2)], nextPageToken: '' }),
      },
      streams: {
        ReplayEvents: (req, call) => {
          call.on('cancelled', () => {
            replayCancelled = true;
          });
          for (let p = Number(req.afterPosition) + 1; p <= Number(req.afterPosition) + 3; p += 1) call.write(event(p));
          if (!req.follow) call.end();
        },
      },
    });
  });

  beforeEach(() => {
    gateway.calls.length = 0;
  });

  afterAll(() => {
    gateway.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  function startAos(args: string[], env: NodeJS.ProcessEnv = {}) {
    // HOME and the working directory are empty temp dirs, so no real config or key file leaks in.
    return spawn(process.execPath, [AOS_BIN, ...args], {
      cwd: workDir,
      env: { PATH: process.env.PATH, HOME: workDir, AOS_GATEWAY_ADDR: gateway.address, AOS_API_KEY: KEY, ...env },
    });
  }

  function aos(args: string[], env?: NodeJS.ProcessEnv): Promise<Run> {
    const child = startAos(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }

  it('creates an agent from the flags, with the bearer key and a fresh request id', async () => {
    const run = await aos([
      'agents',
      'create',
      '--name',
      'billing-bot',
      '--capability',
      'billing',
      '--capability',
      'refunds',
      '--label',
      'team=support',
      '--model',
      'gpt-4o-mini',
    ]);

    expect(run).toMatchObject({ code: 0, stderr: '' });
    const [call] = gateway.calls;
    expect(call).toMatchObject({ method: 'CreateAgent', authorization: `Bearer ${KEY}` });
    expect(call?.request.agent).toMatchObject({
      name: 'billing-bot',
      capabilities: ['billing', 'refunds'],
      labels: { team: 'support' },
      model: 'gpt-4o-mini',
    });
    expect(call?.request.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.stdout).toMatch(/^NAME +billing-bot$/m);
    expect(run.stdout).toMatch(/^CAPABILITIES +billing, refunds$/m);
  });

  it('prints the exact reply with --json', async () => {
    const run = await aos(['agents', 'get', 'a1', '--json']);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      id: 'a1',
      state: 'ACTIVE',
      revision: 3,
      logPosition: 7,
      createTime: { seconds: 1_738_324_800, nanos: 0 },
    });
  });

  it('reports a gRPC error as one line on stderr and exits 1', async () => {
    const run = await aos(['agents', 'get', 'nope']);

    expect(run).toEqual({ code: 1, stdout: '', stderr: 'error: NOT_FOUND: agent "nope" not found\n' });
  });

  it('builds the list filter from --state, --capability and --label and prints a table', async () => {
    const run = await aos([
      'agents',
      'list',
      '--state',
      'active',
      '--capability',
      'billing',
      '--label',
      'team=support',
      '--page-size',
      '2',
    ]);

    expect(run.code).toBe(0);
    expect(gateway.calls[0]?.request).toMatchObject({
      filter: 'state = ACTIVE AND capability = "billing" AND labels.team = "support"',
      pageSize: 2,
    });
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^ID +NAME +STATE +REV +CAPABILITIES +UPDATED$/);
    expect(lines[2]).toMatch(/^a2 +second +ACTIVE +12 +billing +2025-01-31T12:00:00.000Z$/);
    expect(run.stdout).toContain('more: --page-token p2');
  });

  it('follows every page with --all', async () => {
    const run = await aos(['agents', 'list', '--all', '--json']);

    expect(gateway.calls.map((c) => c.request.pageToken)).toEqual(['', 'p2']);
    expect((JSON.parse(run.stdout) as { agents: { id: string }[] }).agents.map((a) => a.id)).toEqual([
      'a1',
      'a2',
      'a3',
    ]);
  });

  it('sends only the given fields in the update mask', async () => {
    const run = await aos([
      'agents',
      'update',
      'a1',
      '--description',
      'new',
      '--tool',
      't1',
      '--expected-revision',
      '3',
      '--request-id',
      'r-1',
    ]);

    expect(run.code).toBe(0);
    expect(gateway.calls[0]?.request).toMatchObject({
      id: 'a1',
      agent: { description: 'new', toolIds: ['t1'] },
      updateMask: { paths: ['description', 'tool_ids'] },
      expectedRevision: 3,
      requestId: 'r-1',
    });
  });

  it('pauses with a reason', async () => {
    const run = await aos(['agents', 'pause', 'a1', '--reason', 'maintenance']);

    expect(run.code).toBe(0);
    expect(gateway.calls[0]).toMatchObject({ method: 'PauseAgent', request: { id: 'a1', reason: 'maintenance' } });
    expect(run.stdout).toMatch(/^STATE +PAUSED$/m);
  });

  it('exits 2 on a usage error without calling the server', async () => {
    const run = await aos(['agents', 'list', '--page-size', 'many']);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("option '--page-size <n>' argument 'many' is invalid");
    expect(gateway.calls).toEqual([]);
  });

  it('lists events with their filters as a table', async () => {
    const run = await aos([
      'audit',
      'list',
      '--type',
      'AgentCreated',
      '--since',
      '2025-01-31T00:00:00Z',
      '--actor',
      'admin',
    ]);

    expect(run.code).toBe(0);
    expect(gateway.calls[0]?.request).toMatchObject({
      eventTypes: ['AgentCreated'],
      actorId: 'admin',
      startTime: { seconds: 1_738_281_600, nanos: 0 },
    });
    expect(run.stdout.split('\n')[0]).toMatch(/^POSITION +TIME +TYPE +STREAM +ACTOR$/);
    expect(run.stdout).toMatch(/^ +1 +2025-01-31T12:00:01.000Z +AgentCreated +agent-a1 +user:admin$/m);
  });

  it('replays events as JSON lines', async () => {
    const run = await aos(['audit', 'replay', '--after', '10', '--category', 'agent', '--json']);

    expect(run.code).toBe(0);
    expect(gateway.calls[0]?.request).toMatchObject({ afterPosition: 10, follow: false, category: 'agent' });
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { position: number }).position),
    ).toEqual([11, 12, 13]);
  });

  it('ends a --follow replay cleanly on Ctrl-C', async () => {
    replayCancelled = false;
    const child = startAos(['audit', 'replay', '--follow', '--json']);
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.split('\n').length > 3) resolve();
      }),
    );

    child.kill('SIGINT');

    expect(await exited).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(3);
    await expect.poll(() => replayCancelled).toBe(true);
  });

  it('fails with a one-line message when no API key is configured', async () => {
    const run = await aos(['agents', 'get', 'a1'], { AOS_API_KEY: '' });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: no API key: pass --key, .*\n$/);
    expect(gateway.calls).toEqual([]);
  });
});
