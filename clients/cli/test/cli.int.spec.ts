import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

// Ids the CLI is given are UUIDs (anything else it takes for a name and looks up first).
const A1 = '6f1c0c3e-0000-4000-8000-0000000000a1';
const P1 = '6f1c0c3e-0000-4000-8000-0000000000b1';
const P2 = '6f1c0c3e-0000-4000-8000-0000000000b2';
const T1 = '6f1c0c3e-0000-4000-8000-0000000000c1';

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

/** An agent's health as lifecycle serves it: 1 of its 4 newest runs failed. */
const DEGRADED = {
  status: 'DEGRADED',
  lastHeartbeatTime: { seconds: 1_738_324_900, nanos: 0 },
  recentRuns: 4,
  recentFailures: 1,
  lastFailure: 'FAILED_PRECONDITION: no model server is configured',
};

function event(position: number): Record<string, unknown> {
  return {
    id: `ev-${position}`,
    type: 'AgentCreated',
    stream: 'agent-a1',
    revision: 0,
    position,
    time: { seconds: 1_738_324_800 + position, nanos: 0 },
    dataJson: '{}',
    // The second event's actor has a name to show; 'admin' names no principal.
    metadata: { tenantId: 'default', actor: { kind: 'user', id: position === 2 ? P1 : 'admin' }, schemaVersion: 1 },
  };
}

// Secrets a fake reply carries: each may appear only in the output of the command that created it.
const KEY_SECRET = 'aos_k3x9q2mf_Zm9vYmFyYmF6cXV4LW5vdC1yZWFsLXNlY3JldA_x';
const TENANT_SECRET = 'aos_adm1n0ac_YWRtaW4ta2V5LW9mLWFjbWUtbm90LXJlYWw-yz';
const CREATED = { seconds: 1_738_324_800, nanos: 0 };

function principal(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    tenantId: 'acme',
    kind: 'USER',
    name: `user-${id}`,
    subject: `user:${id}`,
    createdBy: 'user:p1',
    createTime: CREATED,
    revision: 0,
    logPosition: 11,
    ...overrides,
  };
}

function apiKey(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    tenantId: 'acme',
    principalId: P2,
    prefix: 'k3x9q2mf',
    description: 'ci',
    state: 'API_KEY_ACTIVE',
    createdBy: `user:${P1}`,
    createTime: CREATED,
    logPosition: 12,
    ...overrides,
  };
}

function binding(subject: string, role: string): Record<string, unknown> {
  return {
    id: `b-${role}`,
    tenantId: 'acme',
    subject,
    role,
    createdBy: `user:${P1}`,
    createTime: CREATED,
    logPosition: 13,
  };
}

function approval(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    tenantId: 'acme',
    subject: `agent:${A1}`,
    action: 'tools.call',
    resource: 'tools/payments',
    reason: 'refund order 1234',
    state: 'PENDING',
    createTime: CREATED,
    expireTime: { seconds: 1_738_328_400, nanos: 0 },
    revision: 0,
    logPosition: 14,
    ...overrides,
  };
}

function budget(request: Record<string, unknown>): Record<string, unknown> {
  return {
    tenantId: 'acme',
    scope: request.scope,
    agentId: request.agentId,
    period: request.period ?? 'MONTHLY',
    tokenLimit: request.tokenLimit ?? 0,
    costLimitMicros: request.costLimitMicros ?? 500_000_000,
    tokensUsed: 1_200,
    costUsedMicros: 3_250_000,
    periodStart: { seconds: 1_738_281_600, nanos: 0 },
    exhausted: false,
    logPosition: 15,
  };
}

function tool(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    tenantId: 'acme',
    name: `tool-${id}`,
    description: 'Refunds an order',
    kind: 'HTTP',
    risk: 'DESTRUCTIVE',
    http: { endpoint: 'https://pay.example.com/refunds', method: 'POST' },
    inputSchemaJson: '{"type":"object"}',
    state: 'ENABLED',
    revision: 0,
    createdBy: P1,
    createTime: CREATED,
    updateTime: CREATED,
    logPosition: 21,
    ...overrides,
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
        CreateAgent: (req) => agent(A1, { ...(req.agent as object), id: A1 }),
        GetAgent: (req) => {
          if (req.id !== A1 && req.name !== 'billing-helper')
            throw new StatusError(grpc.status.NOT_FOUND, `agent "${String(req.id || req.name)}" not found`);
          return agent(A1, { name: 'billing-helper', state: 'ACTIVE', revision: 3, health: DEGRADED });
        },
        ListAgents: (req) =>
          req.pageToken === ''
            ? {
                agents: [agent(A1), agent('a2', { name: 'second', state: 'ACTIVE', revision: 12, health: DEGRADED })],
                nextPageToken: 'p2',
                totalSize: 3,
              }
            : { agents: [agent('a3')], nextPageToken: '', totalSize: 3 },
        UpdateAgent: () => agent(A1, { revision: 4 }),
        PauseAgent: () => agent(A1, { state: 'PAUSED', revision: 5 }),
        ListEvents: () => ({ events: [event(1), event(2)], nextPageToken: '' }),
        WhoAmI: () => ({
          tenantId: 'acme',
          subject: 'user:p1',
          principal: principal('p1', { name: 'alice' }),
          roles: ['operator', 'auditor'],
          authentication: 'api_key',
        }),
        CreateTenant: (req) => {
          const tenant = req.tenant as { id: string; displayName: string };
          return {
            tenant: { ...tenant, createdBy: 'user:root', createTime: CREATED, revision: 0, logPosition: 20 },
            admin: principal('p-admin', { tenantId: tenant.id, name: req.adminName || 'admin' }),
            adminApiKey: apiKey('k-admin', { tenantId: tenant.id, principalId: 'p-admin', prefix: 'adm1n0ac' }),
            // A retry (same request id) gets the original reply without the secret.
            adminApiKeySecret: req.requestId === 'retry' ? '' : TENANT_SECRET,
          };
        },
        ListTenants: (req) =>
          req.pageToken === ''
            ? { tenants: [{ id: 'default', displayName: 'Default', createTime: CREATED }], nextPageToken: 't2' }
            : { tenants: [{ id: 'acme', displayName: 'Acme Corp', createTime: CREATED }], nextPageToken: '' },
        CreatePrincipal: (req) => principal(P2, { ...(req.principal as object), id: P2, subject: 'service:p2' }),
        GetPrincipal: (req) => {
          // By id, or by name as the server finds it.
          if (req.id === P2 || req.name === 'ci-bot') {
            return principal(P2, { kind: 'SERVICE', name: 'ci-bot', subject: `service:${P2}` });
          }
          if (req.id !== P1 && req.name !== 'alice') {
            throw new StatusError(grpc.status.NOT_FOUND, `principal "${String(req.id || req.name)}" not found`);
          }
          return principal(P1, { name: 'alice', oidcSubject: '00u1abcd' });
        },
        ListPrincipals: () => ({
          principals: [principal('p1'), principal('p2', { kind: 'SERVICE' })],
          nextPageToken: '',
        }),
        CreateApiKey: (req) => ({
          apiKey: apiKey('k2', {
            principalId: req.principalId,
            description: req.description,
            expireTime: req.expireTime,
          }),
          secret: req.requestId === 'retry' ? '' : KEY_SECRET,
        }),
        ListApiKeys: () => ({
          apiKeys: [
            apiKey('k1'),
            apiKey('k2', {
              state: 'API_KEY_REVOKED',
              revokeTime: CREATED,
              expireTime: { seconds: 1_740_000_000, nanos: 0 },
            }),
          ],
        }),
        RevokeApiKey: (req) => apiKey(String(req.id), { state: 'API_KEY_REVOKED', revokeTime: CREATED }),
        ListRoles: () => ({
          roles: [
            { name: 'viewer', permissions: ['agents.get', 'agents.list'], builtIn: true, description: 'read agents' },
            { name: 'support-lead', permissions: ['approvals.*'], builtIn: false, description: '' },
          ],
        }),
        DefineRole: (req) => ({ ...(req.role as object), builtIn: false }),
        AssignRole: (req) => binding(String(req.subject), String(req.role)),
        RevokeRole: (req) => binding(String(req.subject), String(req.role)),
        ListRoleBindings: () => ({ bindings: [binding(`user:${P1}`, 'operator'), binding('group:ops', 'viewer')] }),
        AddPolicyRule: (req) => ({
          ...(req.rule as object),
          id: 'r1',
          tenantId: 'acme',
          createdBy: `user:${P1}`,
          createTime: CREATED,
          logPosition: 16,
        }),
        RemovePolicyRule: (req) => ({
          id: req.id,
          subject: `agent:${A1}`,
          action: 'tools.call',
          resource: '*',
          effect: 'ALLOW',
        }),
        ListPolicyRules: () => ({
          rules: [
            {
              id: 'r1',
              subject: `agent:${A1}`,
              action: 'tools.call',
              resource: 'tools/payments',
              effect: 'ALLOW',
              requiresApproval: true,
            },
            { id: 'r2', subject: 'role:operator', action: 'agents.retire', resource: '*', effect: 'DENY' },
          ],
        }),
        CheckAccess: (req) => {
          const subject = String(req.subject || `user:${P1}`);
          if (req.action === 'agents.pause') {
            return {
              decision: 'ALLOWED',
              allowed: true,
              subject,
              explanation: `allowed: ${subject} has role operator (binding b-operator), whose permission agents.pause matches`,
              matchedBinding: binding(subject, 'operator'),
            };
          }
          if (req.action === 'tools.call') {
            return {
              decision: 'APPROVAL_REQUIRED',
              allowed: false,
              subject,
              explanation: 'approval required: rule r1 allows tools.call on tools/payments with approval',
              matchedRule: { id: 'r1', subject, action: 'tools.call', resource: 'tools/payments', effect: 'ALLOW' },
            };
          }
          return {
            decision: 'DENIED',
            allowed: false,
            subject,
            explanation: `denied: nothing grants ${String(req.action)}`,
          };
        },
        ListApprovals: () => ({
          approvals: [approval('ap1', { argumentsJson: '{"order":1234}' }), approval('ap2', { reason: 'second' })],
          nextPageToken: '',
        }),
        DecideApproval: (req) =>
          approval(String(req.id), {
            state: req.approve ? 'APPROVED' : 'REJECTED',
            decidedBy: `user:${P1}`,
            decisionReason: req.reason,
            decideTime: CREATED,
            revision: 1,
          }),
        RegisterTool: (req) => tool(T1, { ...(req.tool as object), id: T1 }),
        RegisterMcpServer: (req) => ({
          server: {
            id: 's1',
            tenantId: 'acme',
            url: req.url,
            serverName: 'weather-mcp',
            serverVersion: '1.2.3',
            toolIds: ['t2', 't3'],
            logPosition: 30,
          },
          tools: [
            tool('t2', {
              name: 'get_forecast',
              kind: 'MCP',
              risk: 'READ',
              http: undefined,
              mcp: { serverId: 's1', serverUrl: req.url, toolName: 'get_forecast' },
            }),
            tool('t3', {
              name: 'send_alert',
              kind: 'MCP',
              risk: req.defaultRisk === 'TOOL_RISK_UNSPECIFIED' ? 'DESTRUCTIVE' : req.defaultRisk,
              http: undefined,
              mcp: { serverId: 's1', serverUrl: req.url, toolName: 'Send.Alert' },
            }),
          ],
        }),
        GetTool: (req) => {
          if (req.id !== T1)
            throw new StatusError(grpc.status.NOT_FOUND, `tool "${String(req.id || req.name)}" not found`);
          return tool(T1, { name: 'refund' });
        },
        ListTools: () => ({
          tools: [tool(T1, { name: 'refund' }), tool('t2', { name: 'weather', risk: 'READ', state: 'DISABLED' })],
          nextPageToken: '',
          totalSize: 2,
        }),
        DisableTool: (req) => tool(String(req.id), { state: 'DISABLED', revision: 1 }),
        SetBudget: (req) => budget(req),
        GetBudget: (req) => budget(req),
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

  function aos(args: string[], env?: NodeJS.ProcessEnv, stdin?: string): Promise<Run> {
    const child = startAos(args, env);
    if (stdin !== undefined) child.stdin.end(stdin);
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
    const run = await aos(['agents', 'get', A1, '--json']);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      id: A1,
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
    expect(lines[0]).toMatch(/^ID +NAME +STATE +HEALTH +REV +CAPABILITIES +UPDATED$/);
    expect(lines[1]).toMatch(/^\S+ +bot-\S+ +DRAFT +UNKNOWN +0 /);
    expect(lines[2]).toMatch(/^a2 +second +ACTIVE +DEGRADED +12 +billing +2025-01-31T12:00:00.000Z$/);
    expect(run.stdout).toContain('more: --page-token p2');
  });

  it("filters by --health and prints an agent's health in words", async () => {
    const list = await aos(['agents', 'list', '--health', 'unhealthy', '--state', 'active']);
    expect(list.code).toBe(0);
    expect(gateway.calls[0]?.request).toMatchObject({ filter: 'state = ACTIVE AND health = UNHEALTHY' });
    const refused = await aos(['agents', 'list', '--health', 'sick']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--health.*UNKNOWN, HEALTHY, DEGRADED, UNHEALTHY/);

    const get = await aos(['agents', 'get', A1]);
    expect(get.stdout).toMatch(
      /^HEALTH +DEGRADED: 1 of 4 recent runs failed: FAILED_PRECONDITION: no model server is configured \(newest run ended 2025-01-31T12:01:40.000Z\)$/m,
    );
  });

  it('follows every page with --all', async () => {
    const run = await aos(['agents', 'list', '--all', '--json']);

    expect(gateway.calls.map((c) => c.request.pageToken)).toEqual(['', 'p2']);
    expect((JSON.parse(run.stdout) as { agents: { id: string }[] }).agents.map((a) => a.id)).toEqual([A1, 'a2', 'a3']);
  });

  it('sends only the given fields in the update mask', async () => {
    const run = await aos([
      'agents',
      'update',
      A1,
      '--description',
      'new',
      '--tool',
      T1,
      '--expected-revision',
      '3',
      '--request-id',
      'r-1',
    ]);

    expect(run.code).toBe(0);
    expect(gateway.calls[0]?.request).toMatchObject({
      id: A1,
      agent: { description: 'new', toolIds: [T1] },
      updateMask: { paths: ['description', 'tool_ids'] },
      expectedRevision: 3,
      requestId: 'r-1',
    });
  });

  it('pauses with a reason', async () => {
    const run = await aos(['agents', 'pause', A1, '--reason', 'maintenance']);

    expect(run.code).toBe(0);
    expect(gateway.calls[0]).toMatchObject({ method: 'PauseAgent', request: { id: A1, reason: 'maintenance' } });
    expect(run.stdout).toMatch(/^STATE +PAUSED$/m);
  });

  it('exits 2 on a usage error without calling the server', async () => {
    const run = await aos(['agents', 'list', '--page-size', 'many']);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("option '--page-size <n>' argument 'many' is invalid");
    expect(gateway.calls).toEqual([]);
  });

  it('lists events with their filters as a table, finding --actor by name and naming the actors', async () => {
    const run = await aos([
      'audit',
      'list',
      '--type',
      'AgentCreated',
      '--since',
      '2025-01-31T00:00:00Z',
      '--actor',
      'alice',
    ]);

    expect(run.code).toBe(0);
    expect(gateway.calls[0]).toMatchObject({ method: 'GetPrincipal', request: { id: '', name: 'alice' } });
    expect(gateway.calls[1]?.request).toMatchObject({
      eventTypes: ['AgentCreated'],
      actorId: P1,
      startTime: { seconds: 1_738_281_600, nanos: 0 },
    });
    expect(run.stdout.split('\n')[0]).toMatch(/^POSITION +TIME +TYPE +STREAM +ACTOR$/);
    expect(run.stdout).toMatch(/^ +1 +2025-01-31T12:00:01.000Z +AgentCreated +agent-a1 +user:admin$/m);
    expect(run.stdout).toMatch(/^ +2 +2025-01-31T12:00:02.000Z +AgentCreated +agent-a1 +user:alice \(6f1c0c3e…\)$/m);
    // One lookup per distinct actor: alice is known from --actor, admin is asked about once.
    expect(gateway.calls.filter((c) => c.method === 'GetPrincipal').map((c) => c.request.id || c.request.name)).toEqual(
      ['alice', 'admin'],
    );
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
    const run = await aos(['agents', 'get', A1], { AOS_API_KEY: '' });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: no API key: pass --key, .*\n$/);
    expect(gateway.calls).toEqual([]);
  });

  describe('governance commands', () => {
    it('whoami shows the tenant, subject, principal and roles', async () => {
      const run = await aos(['whoami']);

      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(gateway.calls[0]).toMatchObject({ method: 'WhoAmI', authorization: `Bearer ${KEY}` });
      expect(run.stdout).toMatch(/^TENANT +acme$/m);
      expect(run.stdout).toMatch(/^SUBJECT +user:p1$/m);
      expect(run.stdout).toMatch(/^PRINCIPAL +alice \(p1\)$/m);
      expect(run.stdout).toMatch(/^ROLES +operator, auditor$/m);
      expect(run.stdout).toMatch(/^AUTHENTICATION +api_key$/m);
    });

    it('creates a tenant, prints the admin secret once and warns on stderr that it will not be shown again', async () => {
      const run = await aos(['tenants', 'create', 'acme', '--display-name', 'Acme Corp', '--admin-name', 'alice']);

      expect(run.code).toBe(0);
      const request = gateway.calls[0]?.request;
      expect(request).toMatchObject({ tenant: { id: 'acme', displayName: 'Acme Corp' }, adminName: 'alice' });
      expect(request?.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(run.stdout).toMatch(/^ADMIN +alice \(user:p-admin\)$/m);
      expect(run.stdout).toMatch(/^ADMIN KEY PREFIX +adm1n0ac$/m);
      expect(run.stdout.split(TENANT_SECRET)).toHaveLength(2);
      expect(run.stderr).toMatch(
        /^warning: the admin key's secret is shown only this once and cannot be retrieved again/,
      );
      expect(run.stderr.split('\n')).toHaveLength(2);
      expect(run.stderr).not.toContain(TENANT_SECRET);
    });

    it('says so on stderr when a retried tenant creation has no secret', async () => {
      const run = await aos(['tenants', 'create', 'acme', '--request-id', 'retry', '--json']);

      expect(run.code).toBe(0);
      expect(gateway.calls[0]?.request.requestId).toBe('retry');
      expect(JSON.parse(run.stdout)).toMatchObject({ adminApiKeySecret: '', tenant: { id: 'acme' } });
      expect(run.stderr).toMatch(/^warning: the reply has no secret: this request id was already used/);
    });

    it('lists tenants across pages with --all', async () => {
      const run = await aos(['tenants', 'list', '--all']);

      expect(run.code).toBe(0);
      expect(gateway.calls.map((c) => c.request.pageToken)).toEqual(['', 't2']);
      expect(run.stdout.split('\n')[0]).toMatch(/^ID +DISPLAY NAME +CREATED BY +CREATED$/);
      expect(run.stdout).toMatch(/^acme +Acme Corp +2025-01-31T12:00:00.000Z$/m);
      expect(run.stdout).toContain('2 tenant(s)');
    });

    it('creates a service principal and shows its subject', async () => {
      const run = await aos(['principals', 'create', '--name', 'billing-sync', '--kind', 'service']);

      expect(run.code).toBe(0);
      expect(gateway.calls[0]?.request).toMatchObject({
        principal: { name: 'billing-sync', kind: 'SERVICE', oidcSubject: '' },
      });
      expect(run.stdout).toMatch(/^KIND +SERVICE$/m);
      expect(run.stdout).toMatch(/^SUBJECT +service:p2$/m);
    });

    it('defaults a principal to a user, gets one and lists them', async () => {
      await aos(['principals', 'create', '--name', 'alice', '--oidc-subject', '00u1abcd']);
      const got = await aos(['principals', 'get', P1, '--min-position', '11']);
      const listed = await aos(['principals', 'list']);
      const missing = await aos(['principals', 'get', 'nope']);

      expect(gateway.calls[0]?.request.principal).toMatchObject({
        name: 'alice',
        kind: 'USER',
        oidcSubject: '00u1abcd',
      });
      expect(gateway.calls[1]?.request).toEqual({ id: P1, name: '', minPosition: 11 });
      expect(got.stdout).toMatch(/^OIDC SUBJECT +00u1abcd$/m);
      expect(listed.stdout.split('\n')[0]).toMatch(/^ID +KIND +NAME +SUBJECT +OIDC SUBJECT +CREATED$/);
      expect(listed.stdout).toMatch(/^p2 +SERVICE +user-p2 +user:p2 +2025-01-31T12:00:00.000Z$/m);
      expect(missing).toEqual({ code: 1, stdout: '', stderr: 'error: NOT_FOUND: principal "nope" not found\n' });
    });

    it('creates an API key expiring after a duration, printing the secret once with a warning on stderr', async () => {
      const before = Math.floor(Date.now() / 1000);
      const run = await aos(['keys', 'create', '--principal', P2, '--description', 'CI pipeline', '--expires', '30d']);
      const after = Math.ceil(Date.now() / 1000);

      expect(run.code).toBe(0);
      const request = gateway.calls[0]?.request as { expireTime: { seconds: number }; requestId: string };
      expect(request).toMatchObject({ principalId: P2, description: 'CI pipeline' });
      expect(request.expireTime.seconds).toBeGreaterThanOrEqual(before + 30 * 86_400);
      expect(request.expireTime.seconds).toBeLessThanOrEqual(after + 30 * 86_400);
      expect(request.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(run.stdout).toMatch(/^PREFIX +k3x9q2mf$/m);
      expect(run.stdout).toMatch(new RegExp(`^SECRET +${KEY_SECRET}$`, 'm'));
      expect(run.stdout.split(KEY_SECRET)).toHaveLength(2);
      expect(run.stderr).toBe(
        "warning: the key's secret is shown only this once and cannot be retrieved again: store it now.\n",
      );
    });

    it('sends an ISO expiry as given and keeps the secret in the --json reply', async () => {
      const run = await aos(['keys', 'create', '--principal', P2, '--expires', '2030-01-01T00:00:00Z', '--json']);

      expect(gateway.calls[0]?.request.expireTime).toEqual({ seconds: 1_893_456_000, nanos: 0 });
      expect(JSON.parse(run.stdout)).toMatchObject({
        secret: KEY_SECRET,
        apiKey: { id: 'k2', state: 'API_KEY_ACTIVE' },
      });
      expect(run.stderr).toContain('shown only this once');
    });

    it('refuses an expiry in the past or in no known format without calling the server', async () => {
      const past = await aos(['keys', 'create', '--principal', P2, '--expires', '2020-01-01']);
      const garbage = await aos(['keys', 'create', '--principal', P2, '--expires', 'soon']);

      expect(past.code).toBe(2);
      expect(past.stderr).toContain('the expiry must be in the future');
      expect(garbage.code).toBe(2);
      expect(gateway.calls).toEqual([]);
    });

    it('warns when a retried key creation has no secret to show', async () => {
      const run = await aos(['keys', 'create', '--principal', P2, '--request-id', 'retry']);

      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^SECRET +-$/m);
      expect(run.stderr).toMatch(/the reply has no secret: .* create a new key and revoke the old one/);
    });

    it('lists keys without any secret and revokes one', async () => {
      const listed = await aos(['keys', 'list', '--principal', P2]);
      const revoked = await aos(['keys', 'revoke', 'k1', '--request-id', 'r-revoke']);

      expect(gateway.calls[0]).toMatchObject({ method: 'ListApiKeys', request: { principalId: P2 } });
      expect(listed.stdout.split('\n')[0]).toMatch(/^ID +PREFIX +PRINCIPAL +STATE +DESCRIPTION +CREATED +EXPIRES$/);
      expect(listed.stdout).toMatch(
        /^k1 +k3x9q2mf +ci-bot \(6f1c0c3e…\) +ACTIVE +ci +2025-01-31T12:00:00.000Z +never$/m,
      );
      expect(listed.stdout).toMatch(
        /^k2 +k3x9q2mf +ci-bot \(6f1c0c3e…\) +REVOKED +ci +\S+ +2025-02-19T21:20:00.000Z$/m,
      );
      expect(gateway.calls.find((c) => c.method === 'RevokeApiKey')?.request).toMatchObject({
        id: 'k1',
        requestId: 'r-revoke',
      });
      // The list's principal is asked about once for both rows (and by id: --principal was one).
      expect(gateway.calls.slice(0, 2).map((c) => [c.method, c.request.id])).toEqual([
        ['ListApiKeys', undefined],
        ['GetPrincipal', P2],
      ]);
      expect(revoked.stdout).toMatch(/^PRINCIPAL +ci-bot \(6f1c0c3e…\)$/m);
      expect(revoked.stdout).toMatch(/^CREATED BY +user:alice \(6f1c0c3e…\)$/m);
      expect(revoked.stdout).toMatch(/^STATE +REVOKED$/m);
      expect(revoked.stdout).toMatch(/^REVOKED +2025-01-31T12:00:00.000Z$/m);
      for (const run of [listed, revoked]) expect(run.stdout + run.stderr).not.toMatch(/SECRET|aos_k3x9q2mf_/);
    });

    it('lists roles and defines a custom one from repeated --permission flags', async () => {
      const listed = await aos(['roles', 'list']);
      const defined = await aos([
        'roles',
        'define',
        'support-lead',
        '--permission',
        'agents.get',
        '--permission',
        'approvals.*',
        '--description',
        'leads the support desk',
      ]);

      expect(listed.stdout).toMatch(/^viewer +yes +agents.get, agents.list +read agents$/m);
      expect(listed.stdout).toMatch(/^support-lead +no +approvals.\*$/m);
      expect(gateway.calls[1]?.request).toMatchObject({
        role: {
          name: 'support-lead',
          permissions: ['agents.get', 'approvals.*'],
          description: 'leads the support desk',
        },
      });
      expect(defined.stdout).toMatch(/^PERMISSIONS +agents.get, approvals.\*$/m);
      expect(defined.stdout).toMatch(/^BUILT-IN +no$/m);
    });

    it('assigns and revokes a role by a principal name, lists bindings by subject with names beside the ids', async () => {
      const assigned = await aos(['roles', 'assign', 'ci-bot', 'operator']);
      await aos(['roles', 'revoke', `service:${P2}`, 'operator', '--request-id', 'r-9']);
      const listed = await aos(['roles', 'bindings', '--subject', 'user:alice']);

      const changes = gateway.calls.filter((c) => c.method !== 'GetPrincipal');
      expect(changes.map((c) => c.method)).toEqual(['AssignRole', 'RevokeRole', 'ListRoleBindings']);
      expect(gateway.calls[0]).toMatchObject({ method: 'GetPrincipal', request: { id: '', name: 'ci-bot' } });
      expect(changes[0]?.request).toMatchObject({ subject: `service:${P2}`, role: 'operator' });
      expect(changes[0]?.request.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(changes[1]?.request).toEqual({ subject: `service:${P2}`, role: 'operator', requestId: 'r-9' });
      expect(changes[2]?.request).toEqual({ subject: `user:${P1}`, minPosition: 0 });
      expect(assigned.stdout).toMatch(/^ID +b-operator$/m);
      expect(assigned.stdout).toMatch(/^SUBJECT +service:ci-bot \(6f1c0c3e…\)$/m);
      expect(assigned.stdout).toMatch(/^CREATED BY +user:alice \(6f1c0c3e…\)$/m);
      expect(listed.stdout).toMatch(
        /^b-operator +user:alice \(6f1c0c3e…\) +operator +user:alice \(6f1c0c3e…\) +2025-01-31T12:00:00.000Z$/m,
      );
      expect(listed.stdout).toMatch(
        /^b-viewer +group:ops +viewer +user:alice \(6f1c0c3e…\) +2025-01-31T12:00:00.000Z$/m,
      );
    });

    it('refuses a subject of an unknown kind before calling the server', async () => {
      const run = await aos(['roles', 'assign', 'admin:p2', 'operator']);

      expect(run.code).toBe(2);
      expect(run.stderr).toContain("value 'admin:p2' is invalid for argument 'subject'");
      expect(gateway.calls).toEqual([]);
    });

    it('refuses a name that names nothing (NOT_FOUND, exit 1) and a kind the principal is not (exit 2)', async () => {
      const missing = await aos(['roles', 'assign', 'nobody', 'operator']);
      const wrongKind = await aos(['roles', 'assign', 'user:ci-bot', 'operator']);

      expect(missing).toEqual({ code: 1, stdout: '', stderr: 'error: NOT_FOUND: principal "nobody" not found\n' });
      expect(wrongKind).toMatchObject({ code: 2, stdout: '' });
      expect(wrongKind.stderr).toBe(`error: user:ci-bot is not a user principal: its subject is service:${P2}\n`);
      expect(gateway.calls.map((c) => c.method)).toEqual(['GetPrincipal', 'GetPrincipal']);
    });

    it('adds allow, deny and approval rules, removes one and lists them', async () => {
      const allowed = await aos([
        'policies',
        'add',
        '--subject',
        'agent:billing-helper',
        '--action',
        'tools.call',
        '--resource',
        'tools/payments',
        '--requires-approval',
      ]);
      await aos(['policies', 'add', '--subject', 'role:operator', '--action', 'agents.retire', '--deny']);
      const removed = await aos(['policies', 'remove', 'r1']);
      const listed = await aos(['policies', 'list', '--subject', `agent:${A1}`]);

      expect(gateway.calls[0]).toMatchObject({ method: 'GetAgent', request: { id: '', name: 'billing-helper' } });
      const changes = gateway.calls.filter((c) => !['GetAgent', 'GetPrincipal'].includes(c.method));
      expect(changes[0]?.request.rule).toMatchObject({
        subject: `agent:${A1}`,
        action: 'tools.call',
        resource: 'tools/payments',
        effect: 'ALLOW',
        requiresApproval: true,
      });
      expect(changes[1]?.request.rule).toMatchObject({
        subject: 'role:operator',
        resource: '*',
        effect: 'DENY',
        requiresApproval: false,
      });
      expect(changes[2]?.request).toMatchObject({ id: 'r1' });
      expect(changes[3]?.request).toEqual({ subject: `agent:${A1}`, minPosition: 0 });
      expect(allowed.stdout).toMatch(/^SUBJECT +agent:billing-helper \(6f1c0c3e…\)$/m);
      expect(allowed.stdout).toMatch(/^CREATED BY +user:alice \(6f1c0c3e…\)$/m);
      expect(allowed.stdout).toMatch(/^EFFECT +ALLOW$/m);
      expect(allowed.stdout).toMatch(/^REQUIRES APPROVAL +yes$/m);
      expect(removed.stdout).toMatch(/^ID +r1$/m);
      expect(listed.stdout.split('\n')[0]).toMatch(/^ID +SUBJECT +EFFECT +ACTION +RESOURCE +APPROVAL +CREATED BY$/);
      expect(listed.stdout).toMatch(
        /^r1 +agent:billing-helper \(6f1c0c3e…\) +ALLOW +tools.call +tools\/payments +required$/m,
      );
      expect(listed.stdout).toMatch(/^r2 +role:operator +DENY +agents.retire +\*$/m);
    });

    it('refuses --deny together with --requires-approval', async () => {
      const run = await aos([
        'policies',
        'add',
        '--subject',
        'agent:a1',
        '--action',
        'x.y',
        '--deny',
        '--requires-approval',
      ]);

      expect(run).toMatchObject({ code: 2, stdout: '' });
      expect(run.stderr).toMatch(/^error: --deny and --requires-approval do not go together/);
      expect(gateway.calls).toEqual([]);
    });

    it('exits 0 when access check answers ALLOWED, printing the decision and the binding that decided', async () => {
      const run = await aos(['access', 'check', '--action', 'agents.pause', '--resource', 'agents/a1']);

      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(gateway.calls[0]?.request).toEqual({
        subject: '',
        action: 'agents.pause',
        resource: 'agents/a1',
        minPosition: 0,
      });
      expect(run.stdout.split('\n')[0]).toMatch(/^DECISION +ALLOWED$/);
      expect(run.stdout).toMatch(/^SUBJECT +user:alice \(6f1c0c3e…\)$/m);
      expect(run.stdout).toMatch(/^BINDING +b-operator \(user:alice \(6f1c0c3e…\) → operator\)$/m);
      expect(run.stdout).toMatch(/^RESOURCE +agents\/a1$/m);
    });

    it('exits 3 when access check answers anything but ALLOWED, also with --json', async () => {
      const approval = await aos(['access', 'check', '--subject', 'agent:billing-helper', '--action', 'tools.call']);
      const denied = await aos(['access', 'check', '--subject', `agent:${A1}`, '--action', 'audit.replay', '--json']);

      expect(approval.code).toBe(3);
      expect(approval.stderr).toBe('');
      expect(approval.stdout.split('\n')[0]).toMatch(/^DECISION +APPROVAL_REQUIRED$/);
      expect(approval.stdout).toMatch(/^SUBJECT +agent:billing-helper \(6f1c0c3e…\)$/m);
      expect(approval.stdout).toMatch(
        /^RULE +r1 \(ALLOW agent:billing-helper \(6f1c0c3e…\) tools.call on tools\/payments\)$/m,
      );
      expect(approval.stdout).toMatch(/^RESOURCE +\*$/m);
      expect(denied.code).toBe(3);
      expect(JSON.parse(denied.stdout)).toMatchObject({
        decision: 'DENIED',
        allowed: false,
        explanation: 'denied: nothing grants audit.replay',
      });
      const checks = gateway.calls.filter((c) => c.method === 'CheckAccess');
      expect(checks.map((c) => c.request.subject)).toEqual([`agent:${A1}`, `agent:${A1}`]);
      expect(checks[1]?.request).toMatchObject({ action: 'audit.replay', resource: '' });
    });

    it('documents the access check exit codes in --help', async () => {
      const run = await aos(['access', 'check', '--help']);

      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Exit status: 0 allowed, 3 not allowed');
      expect(run.stdout).toContain('$ aos access check --subject agent:billing-helper --action tools.call');
      expect(run.stdout).toContain('a principal by name or id (alice)');
    });

    it('lists approvals by state and approves and rejects with reasons', async () => {
      const listed = await aos(['approvals', 'list', '--state', 'pending']);
      const approved = await aos(['approvals', 'approve', 'ap1']);
      const rejected = await aos(['approvals', 'reject', 'ap2', '--reason', 'already refunded', '--request-id', 'r-x']);

      expect(gateway.calls[0]?.request).toMatchObject({ state: 'PENDING', pageSize: 0, pageToken: '' });
      expect(listed.stdout.split('\n')[0]).toMatch(
        /^ID +STATE +SUBJECT +ACTION +RESOURCE +ARGUMENTS +REASON +CREATED +EXPIRES$/,
      );
      expect(listed.stdout).toMatch(
        /^ap1 +PENDING +agent:billing-helper \(6f1c0c3e…\) +tools.call +tools\/payments +\{"order":1234\} +refund order 1234 /m,
      );
      const decisions = gateway.calls.filter((c) => c.method === 'DecideApproval');
      // Both rows' requester is one agent: asked about once.
      expect(gateway.calls.slice(0, 2).map((c) => c.method)).toEqual(['ListApprovals', 'GetAgent']);
      expect(decisions[0]?.request).toMatchObject({ id: 'ap1', approve: true, reason: '' });
      expect(decisions[1]?.request).toEqual({
        id: 'ap2',
        approve: false,
        reason: 'already refunded',
        requestId: 'r-x',
      });
      expect(approved.stdout).toMatch(/^STATE +APPROVED$/m);
      expect(rejected.stdout).toMatch(/^STATE +REJECTED$/m);
      expect(rejected.stdout).toMatch(/^DECIDED BY +user:alice \(6f1c0c3e…\)$/m);
      expect(rejected.stdout).toMatch(/^DECISION REASON +already refunded$/m);
    });

    it('needs a reason to reject and a known state to filter on', async () => {
      const noReason = await aos(['approvals', 'reject', 'ap2']);
      const badState = await aos(['approvals', 'list', '--state', 'open']);

      expect(noReason.code).toBe(2);
      expect(noReason.stderr).toContain("required option '--reason <text>' not specified");
      expect(badState.code).toBe(2);
      expect(gateway.calls).toEqual([]);
    });

    it('sets an agent budget with the cost converted to micros and shows it in currency units', async () => {
      const run = await aos([
        'budgets',
        'set',
        '--agent',
        A1,
        '--period',
        'daily',
        '--tokens',
        '200000',
        '--cost',
        '12.50',
      ]);

      expect(run.code).toBe(0);
      expect(gateway.calls[0]?.request).toMatchObject({
        scope: 'AGENT',
        agentId: A1,
        period: 'DAILY',
        tokenLimit: 200_000,
        costLimitMicros: 12_500_000,
      });
      expect(gateway.calls[0]?.request.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(run.stdout).toMatch(/^SCOPE +AGENT$/m);
      expect(run.stdout).toMatch(/^AGENT +billing-helper \(6f1c0c3e…\)$/m);
      expect(run.stdout).toMatch(/^TOKEN LIMIT +200000$/m);
      expect(run.stdout).toMatch(/^COST LIMIT +12.50$/m);
      expect(run.stdout).toMatch(/^COST USED +3.25$/m);
    });

    it('gets the tenant budget, showing a zero limit as no limit', async () => {
      const run = await aos(['budgets', 'get', '--tenant']);

      expect(gateway.calls[0]?.request).toEqual({ scope: 'TENANT', agentId: '', minPosition: 0 });
      expect(run.stdout).toMatch(/^TOKEN LIMIT +no limit$/m);
      expect(run.stdout).toMatch(/^COST LIMIT +500.00$/m);
      expect(run.stdout).toMatch(/^EXHAUSTED +no$/m);
    });

    it('refuses a budget without exactly one scope or without any limit', async () => {
      const both = await aos(['budgets', 'set', '--tenant', '--agent', A1, '--period', 'monthly', '--cost', '1']);
      const neither = await aos(['budgets', 'get']);
      const noLimit = await aos(['budgets', 'set', '--tenant', '--period', 'monthly']);
      const badCost = await aos(['budgets', 'set', '--tenant', '--period', 'monthly', '--cost', '12,50']);

      expect(both).toMatchObject({ code: 2, stderr: 'error: pass either --tenant or --agent <id>, not both\n' });
      expect(neither.code).toBe(2);
      expect(noLimit.stderr).toBe('error: pass --tokens and/or --cost (0 = no limit)\n');
      expect(badCost.code).toBe(2);
      expect(badCost.stderr).toContain('expected an amount in currency units');
      expect(gateway.calls).toEqual([]);
    });
  });
  describe('tools commands', () => {
    const SCHEMA = '{"type":"object","properties":{"order_id":{"type":"string"}}}';

    it('registers an HTTP tool with the schema from a file, upper-casing the method and risk', async () => {
      writeFileSync(join(workDir, 'refund.json'), SCHEMA);
      const run = await aos([
        'tools',
        'register',
        '--name',
        'refund',
        '--endpoint',
        'https://pay.example.com/refunds',
        '--method',
        'post',
        '--risk',
        'destructive',
        '--schema',
        'refund.json',
        '--description',
        'Refunds an order',
      ]);

      expect(run.code, run.stderr).toBe(0);
      expect(gateway.calls[0]).toMatchObject({ method: 'RegisterTool', authorization: `Bearer ${KEY}` });
      expect(gateway.calls[0]?.request).toMatchObject({
        tool: {
          name: 'refund',
          description: 'Refunds an order',
          risk: 'DESTRUCTIVE',
          http: { endpoint: 'https://pay.example.com/refunds', method: 'POST' },
          inputSchemaJson: SCHEMA,
        },
      });
      expect(gateway.calls[0]?.request.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(run.stdout).toMatch(/^NAME +refund$/m);
      expect(run.stdout).toMatch(/^TARGET +POST https:\/\/pay\.example\.com\/refunds$/m);
    });

    it('reads the schema from standard input with --schema -', async () => {
      const run = await aos(
        [
          'tools',
          'register',
          '--name',
          'w',
          '--endpoint',
          'https://x.example',
          '--method',
          'GET',
          '--risk',
          'read',
          '--schema',
          '-',
          '--json',
        ],
        undefined,
        SCHEMA,
      );

      expect(run.code, run.stderr).toBe(0);
      expect(gateway.calls[0]?.request).toMatchObject({ tool: { inputSchemaJson: SCHEMA, risk: 'READ' } });
      expect(JSON.parse(run.stdout)).toMatchObject({ id: T1, name: 'w' });
    });

    it('sends --price in micros (0.05 → 50000) and refuses a bad amount naming --price', async () => {
      const base = ['tools', 'register', '--name', 'x', '--endpoint', 'https://x.example', '--method', 'post'];
      const priced = await aos([...base, '--risk', 'read', '--price', '0.05']);
      expect(priced.code, priced.stderr).toBe(0);
      expect(gateway.calls[0]?.request).toMatchObject({ tool: { priceMicros: 50_000 } });
      expect(priced.stdout).toMatch(/^PRICE +0\.05 per call$/m);
      const calls = gateway.calls.length;
      for (const bad of ['-1', '0.0000001', 'five']) {
        const run = await aos([...base, '--risk', 'read', '--price', bad]);
        expect(run.code, bad).toBe(2);
        expect(run.stderr).toContain('--price');
      }
      expect(gateway.calls).toHaveLength(calls);
      const help = await aos(['tools', 'register', '--help']);
      expect(help.stdout).toContain('--price <amount>');
    });

    it('refuses an unknown risk or method, or a missing schema file, without calling the server', async () => {
      const base = ['tools', 'register', '--name', 'x', '--endpoint', 'https://x.example'];
      const badRisk = await aos([...base, '--method', 'post', '--risk', 'harmless']);
      const badMethod = await aos([...base, '--method', 'trace', '--risk', 'read']);
      const noFile = await aos([...base, '--method', 'post', '--risk', 'read', '--schema', 'missing.json']);

      expect(badRisk.code).toBe(2);
      expect(badRisk.stderr).toContain('expected one of read, write, destructive');
      expect(badMethod.code).toBe(2);
      expect(noFile).toMatchObject({ code: 2, stderr: 'error: cannot read missing.json: ENOENT\n' });
      expect(gateway.calls).toEqual([]);
    });

    it('registers an MCP server and shows the discovered tools', async () => {
      const run = await aos(['tools', 'register-mcp', '--url', 'http://127.0.0.1:8080/mcp', '--default-risk', 'write']);

      expect(run.code, run.stderr).toBe(0);
      expect(gateway.calls[0]?.request).toMatchObject({
        url: 'http://127.0.0.1:8080/mcp',
        defaultRisk: 'WRITE',
        namePrefix: '',
      });
      expect(run.stdout).toMatch(/^SERVER +weather-mcp 1\.2\.3$/m);
      // PRICE (free for an MCP tool) sits between STATE and TARGET since tools have prices.
      expect(run.stdout).toMatch(
        /^t2 +get_forecast +MCP +READ +ENABLED +free +get_forecast @ http:\/\/127\.0\.0\.1:8080\/mcp$/m,
      );
      expect(run.stdout).toMatch(/^t3 +send_alert +MCP +WRITE +ENABLED/m);
    });

    it('lists tools with filters, gets one and disables one', async () => {
      const listed = await aos(['tools', 'list', '--kind', 'http', '--state', 'enabled', '--risk', 'read']);
      expect(gateway.calls[0]?.request).toMatchObject({ kind: 'HTTP', state: 'ENABLED', risk: 'READ', serverId: '' });
      // The PRICE column came with per-call tool prices.
      expect(listed.stdout.split('\n')[0]).toMatch(/^ID +NAME +KIND +RISK +STATE +PRICE +TARGET$/);
      expect(listed.stdout).toMatch(/^t2 +weather +HTTP +READ +DISABLED/m);

      const got = await aos(['tools', 'get', T1, '--json']);
      expect(JSON.parse(got.stdout)).toMatchObject({ id: T1, name: 'refund', inputSchemaJson: '{"type":"object"}' });

      const missing = await aos(['tools', 'get', 'nope']);
      expect(missing).toMatchObject({ code: 1, stderr: 'error: NOT_FOUND: tool "nope" not found\n' });

      const disabled = await aos(['tools', 'disable', T1, '--reason', 'replaced', '--expected-revision', '0']);
      expect(gateway.calls.at(-1)?.request).toMatchObject({ id: T1, reason: 'replaced', expectedRevision: 0 });
      expect(disabled.stdout).toMatch(/^STATE +DISABLED$/m);
    });

    it('documents the tools commands in --help', async () => {
      const help = await aos(['tools', '--help']);
      expect(help.stdout).toMatch(/register-mcp/);
      const register = await aos(['tools', 'register', '--help']);
      expect(register.stdout).toContain('--schema <file>');
      expect(register.stdout).toContain('Examples:');
    });
  });
});
