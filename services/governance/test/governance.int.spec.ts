import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessModel, subscribeAccessModel, type AccessModelSubscription } from '@aos/access-control';
import {
  GovernanceSubjects,
  type ApiKey,
  type Approval,
  type Budget,
  type CheckAccessResponse,
  type CreateApiKeyResponse,
  type CreateTenantResponse,
  type ListApiKeysResponse,
  type ListApprovalsResponse,
  type ListPolicyRulesResponse,
  type ListPrincipalsResponse,
  type ListRoleBindingsResponse,
  type ListRolesResponse,
  type ListTenantsResponse,
  type PolicyRule,
  type Principal,
  type Role,
  type RoleBinding,
  type Subject,
} from '@aos/contracts';
import { loadConfig, type AosConfig } from '@aos/config';
import { AosError, type ErrorCode } from '@aos/errors';
import { createEventStore, type EventStore, type RecordedEvent } from '@aos/event-store';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { BOOTSTRAP_KEY_FILE } from '../src/bootstrap-key';
import { startGovernance, type GovernanceService } from '../src/bootstrap';
import type { RecordUsageReply } from '../src/budget/budget.handler';

let nats: NatsServerHandle;
let dataDir: string;
let config: AosConfig;
let service: GovernanceService;
let store: EventStore;
let client: ServiceClient;
const model = new AccessModel();
let modelSubscription: AccessModelSubscription;

/** The bootstrap admin (system administrator of the default tenant) and its key. */
let rootKey: string;
let root: RequestContext;
/** The tenant this file creates, with its admin's context and key. */
let acme: CreateTenantResponse;
let acmeKey: string;
let acmeAdmin: RequestContext;
/** Every secret handed out in a reply, to check the log never holds one. */
const secrets: string[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
  dataDir = mkdtempSync(join(tmpdir(), 'aos-governance-'));
  config = loadConfig({ AOS_NATS_URL: nats.url, AOS_LOG_LEVEL: 'warn', AOS_DATA_DIR: dataDir });
  service = await startGovernance(config, { shutdownHooks: false });
  store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  modelSubscription = subscribeAccessModel(store, model);
  await modelSubscription.caughtUp;
  client = new ServiceClient(nats.url);
  await client.connect();

  rootKey = readFileSync(join(dataDir, BOOTSTRAP_KEY_FILE), 'utf8').trim();
  secrets.push(rootKey);
  const identity = await model.authenticateApiKey(rootKey);
  root = ctxOf(identity.tenantId, identity.actor.id);

  acme = await call<CreateTenantResponse>(GovernanceSubjects.createTenant, root, {
    tenant: { id: 'acme', displayName: 'Acme' },
    adminName: '',
    requestId: 'create-acme',
  });
  acmeKey = acme.adminApiKeySecret;
  secrets.push(acmeKey);
  acmeAdmin = ctxOf('acme', acme.admin!.id);
});

afterAll(async () => {
  await client?.close();
  await service?.close();
  await modelSubscription?.close();
  await store?.close();
  await nats?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function ctxOf(tenantId: string, principalId: string): RequestContext {
  return { tenantId, actor: { kind: 'user', id: principalId }, correlationId: randomUUID() };
}

/** Sends any body (also a malformed one, on purpose) on a subject; the reply as the test expects it. */
function call<T, B = unknown>(subject: Subject<B, unknown>, ctx: RequestContext, body: unknown): Promise<T> {
  return client.request(subject, ctx, body as B) as Promise<unknown> as Promise<T>;
}

/** Appends to a task stream what routing would (governance only reads task-* and run-*). */
async function appendTaskEvents(
  taskId: string,
  events: { type: string; data: object }[],
  revision: number | 'no_stream' = 'no_stream',
): Promise<void> {
  await store.append(
    { tenantId: 'acme', category: 'task', id: taskId },
    events.map(({ type, data }) => ({
      id: randomUUID(),
      type,
      data,
      metadata: {
        tenantId: 'acme',
        actor: { kind: 'service', id: 'routing' },
        correlationId: `submit-${taskId}`,
        causationId: `submit-${taskId}`,
        requestId: randomUUID(),
        schemaVersion: 1,
      },
    })),
    { expectedRevision: revision === 'no_stream' ? 'no_stream' : revision - 1 },
  );
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode, field?: string): Promise<AosError> {
  const err = await promise.then(
    () => {
      throw new Error(`expected ${code}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AosError);
  expect((err as AosError).code, (err as AosError).message).toBe(code);
  if (field) expect((err as AosError).field).toBe(field);
  return err as AosError;
}

async function allEvents(): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll()) events.push(event);
  return events;
}

function createPrincipal(ctx: RequestContext, name: string, requestId: string = randomUUID()): Promise<Principal> {
  return call<Principal>(GovernanceSubjects.createPrincipal, ctx, { principal: { kind: 'USER', name }, requestId });
}

function createKey(
  ctx: RequestContext,
  principalId: string,
  fields: Record<string, unknown> = {},
): Promise<CreateApiKeyResponse> {
  return call<CreateApiKeyResponse>(GovernanceSubjects.createApiKey, ctx, {
    principalId,
    description: 'test',
    requestId: randomUUID(),
    ...fields,
  });
}

describe('bootstrap admin', () => {
  it('creates the default tenant, a system admin and its key once, and not again after a restart', async () => {
    const identity = await model.authenticateApiKey(rootKey);
    expect(identity).toMatchObject({ tenantId: 'default', systemAdmin: true, roles: ['tenant-admin'] });

    await service.close();
    service = await startGovernance(config, { shutdownHooks: false });
    // The service answers again, and the log still holds one bootstrap.
    await call<ListTenantsResponse>(GovernanceSubjects.listTenants, root, {});
    const events = await allEvents();
    const tenantCreated = events.filter((e) => e.type === 'TenantCreated' && e.metadata.tenantId === 'default');
    expect(tenantCreated).toHaveLength(1);
    expect(events.filter((e) => e.type === 'PrincipalCreated' && e.metadata.tenantId === 'default')).toHaveLength(1);
    expect(readFileSync(join(dataDir, BOOTSTRAP_KEY_FILE), 'utf8').trim()).toBe(rootKey);
    expect(tenantCreated[0]!.metadata.actor).toEqual({ kind: 'system', id: 'bootstrap' });
  });
});

describe('tenants', () => {
  it('creates a tenant whose admin key authenticates in that tenant only, without system rights', async () => {
    expect(acme.tenant).toMatchObject({ id: 'acme', displayName: 'Acme' });
    expect(acme.admin).toMatchObject({ tenantId: 'acme', name: 'admin', kind: 'USER' });
    expect(acmeKey).toMatch(/^aos_[a-z0-9]{8}_/);
    expect(acmeKey.startsWith(`aos_${acme.adminApiKey!.prefix}_`)).toBe(true);
    await modelSubscription.waitFor(acme.adminApiKey!.logPosition);
    const identity = await model.authenticateApiKey(acmeKey);
    expect(identity).toMatchObject({
      tenantId: 'acme',
      principalId: acme.admin!.id,
      systemAdmin: false,
      roles: ['tenant-admin'],
    });
    expect(model.check('acme', identity.subject, 'agents.create').decision).toBe('ALLOWED');
    expect(model.check('default', identity.subject, 'agents.create').decision).toBe('DENIED');
  });

  it('answers a retry with the same reply but without the secret, and refuses a taken id', async () => {
    const retry = await call<CreateTenantResponse>(GovernanceSubjects.createTenant, root, {
      tenant: { id: 'acme', displayName: 'Acme' },
      requestId: 'create-acme',
    });
    expect(retry.adminApiKeySecret).toBe('');
    expect(retry.admin?.id).toBe(acme.admin?.id);
    expect(retry.adminApiKey?.id).toBe(acme.adminApiKey?.id);
    await expectCode(
      call(GovernanceSubjects.createTenant, root, { tenant: { id: 'acme' }, requestId: randomUUID() }),
      'ALREADY_EXISTS',
      'tenant.id',
    );
    await expectCode(
      call(GovernanceSubjects.createTenant, root, { tenant: { id: 'Bad Id' }, requestId: randomUUID() }),
      'INVALID_ARGUMENT',
      'tenant.id',
    );
  });

  it('lists tenants with pagination', async () => {
    const first = await call<ListTenantsResponse>(GovernanceSubjects.listTenants, root, { pageSize: 1 });
    expect(first.tenants.map((t) => t.id)).toEqual(['default']);
    const second = await call<ListTenantsResponse>(GovernanceSubjects.listTenants, root, {
      pageSize: 1,
      pageToken: first.nextPageToken,
    });
    expect(second.tenants.map((t) => t.id)).toEqual(['acme']);
  });
});

describe('principals and API keys', () => {
  it('creates, gets and lists principals; names are unique per tenant', async () => {
    const bob = await createPrincipal(acmeAdmin, 'bob');
    expect(bob).toMatchObject({
      tenantId: 'acme',
      name: 'bob',
      subject: `user:${bob.id}`,
      createdBy: `user:${acme.admin!.id}`,
    });
    const got = await call<Principal>(GovernanceSubjects.getPrincipal, acmeAdmin, {
      id: bob.id,
      minPosition: bob.logPosition,
    });
    expect(got.name).toBe('bob');
    const list = await call<ListPrincipalsResponse>(GovernanceSubjects.listPrincipals, acmeAdmin, {});
    expect(list.principals.map((p) => p.name)).toEqual(expect.arrayContaining(['admin', 'bob']));
    await expectCode(createPrincipal(acmeAdmin, 'BOB'), 'ALREADY_EXISTS', 'principal.name');
    // The same name in another tenant is another principal.
    expect((await createPrincipal(root, 'bob')).tenantId).toBe('default');
    const retried = await createPrincipal(acmeAdmin, 'carol', 'carol-request');
    expect(await createPrincipal(acmeAdmin, 'carol', 'carol-request')).toEqual(retried);
  });

  it('creates a key whose secret is in the first reply only, and refuses a past expiry', async () => {
    const dave = await createPrincipal(acmeAdmin, 'dave');
    const requestId = randomUUID();
    const created = await createKey(acmeAdmin, dave.id, { requestId });
    secrets.push(created.secret);
    expect(created.apiKey).toMatchObject({ principalId: dave.id, state: 'API_KEY_ACTIVE', tenantId: 'acme' });
    const retry = await createKey(acmeAdmin, dave.id, { requestId });
    expect(retry.secret).toBe('');
    expect(retry.apiKey?.id).toBe(created.apiKey?.id);
    await modelSubscription.waitFor(created.apiKey!.logPosition);
    expect((await model.authenticateApiKey(created.secret)).principalId).toBe(dave.id);

    await expectCode(
      createKey(acmeAdmin, dave.id, { expireTime: { seconds: Math.floor(Date.now() / 1000) - 60, nanos: 0 } }),
      'INVALID_ARGUMENT',
      'expire_time',
    );
    const expiring = await createKey(acmeAdmin, dave.id, {
      expireTime: { seconds: Math.floor(Date.now() / 1000) + 3600, nanos: 0 },
    });
    secrets.push(expiring.secret);
    expect(expiring.apiKey?.expireTime?.seconds).toBeGreaterThan(Date.now() / 1000);
    const keys = await call<ListApiKeysResponse>(GovernanceSubjects.listApiKeys, acmeAdmin, { principalId: dave.id });
    expect(keys.apiKeys).toHaveLength(2);
  });

  it('revokes a key: refused by the access model from the reply position on; a second revoke is FAILED_PRECONDITION', async () => {
    const erin = await createPrincipal(acmeAdmin, 'erin');
    const created = await createKey(acmeAdmin, erin.id);
    secrets.push(created.secret);
    await modelSubscription.waitFor(created.apiKey!.logPosition);
    await model.authenticateApiKey(created.secret);
    const revoked = await call<ApiKey>(GovernanceSubjects.revokeApiKey, acmeAdmin, {
      id: created.apiKey!.id,
      requestId: randomUUID(),
    });
    expect(revoked.state).toBe('API_KEY_REVOKED');
    await modelSubscription.waitFor(revoked.logPosition);
    await expect(model.authenticateApiKey(created.secret)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expectCode(
      call(GovernanceSubjects.revokeApiKey, acmeAdmin, { id: created.apiKey!.id, requestId: randomUUID() }),
      'FAILED_PRECONDITION',
    );
    await expectCode(
      call(GovernanceSubjects.revokeApiKey, acmeAdmin, { id: randomUUID(), requestId: randomUUID() }),
      'NOT_FOUND',
    );
  });
});

describe('roles, bindings and rules', () => {
  it('defines a role, assigns, lists and revokes it with the documented codes', async () => {
    const role = await call<Role>(GovernanceSubjects.defineRole, acmeAdmin, {
      role: { name: 'support', permissions: ['agents.get', 'tasks.*'], description: 'support desk' },
      requestId: randomUUID(),
    });
    expect(role).toMatchObject({ name: 'support', builtIn: false, permissions: ['agents.get', 'tasks.*'] });
    await expectCode(
      call(GovernanceSubjects.defineRole, acmeAdmin, {
        role: { name: 'operator', permissions: ['agents.get'] },
        requestId: randomUUID(),
      }),
      'INVALID_ARGUMENT',
      'role.name',
    );
    await expectCode(
      call(GovernanceSubjects.defineRole, acmeAdmin, {
        role: { name: 'x', permissions: ['agents.fly'] },
        requestId: randomUUID(),
      }),
      'INVALID_ARGUMENT',
      'role.permissions',
    );
    const roles = await call<ListRolesResponse>(GovernanceSubjects.listRoles, acmeAdmin, {});
    expect(roles.roles.map((r) => r.name)).toEqual(expect.arrayContaining(['tenant-admin', 'viewer', 'support']));

    const frank = await createPrincipal(acmeAdmin, 'frank');
    const binding = await call<RoleBinding>(GovernanceSubjects.assignRole, acmeAdmin, {
      subject: frank.subject,
      role: 'support',
      requestId: randomUUID(),
    });
    expect(binding).toMatchObject({ subject: frank.subject, role: 'support', tenantId: 'acme' });
    await expectCode(
      call(GovernanceSubjects.assignRole, acmeAdmin, {
        subject: frank.subject,
        role: 'support',
        requestId: randomUUID(),
      }),
      'ALREADY_EXISTS',
    );
    await expectCode(
      call(GovernanceSubjects.assignRole, acmeAdmin, {
        subject: frank.subject,
        role: 'ghost',
        requestId: randomUUID(),
      }),
      'NOT_FOUND',
    );
    const bindings = await call<ListRoleBindingsResponse>(GovernanceSubjects.listRoleBindings, acmeAdmin, {
      subject: frank.subject,
    });
    expect(bindings.bindings.map((b) => b.id)).toEqual([binding.id]);
    await modelSubscription.waitFor(binding.logPosition);
    expect(model.check('acme', frank.subject, 'tasks.submit').decision).toBe('ALLOWED');

    const revoked = await call<RoleBinding>(GovernanceSubjects.revokeRole, acmeAdmin, {
      subject: frank.subject,
      role: 'support',
      requestId: randomUUID(),
    });
    expect(revoked.id).toBe(binding.id);
    await modelSubscription.waitFor(revoked.logPosition);
    expect(model.check('acme', frank.subject, 'tasks.submit').decision).toBe('DENIED');
    await expectCode(
      call(GovernanceSubjects.revokeRole, acmeAdmin, {
        subject: frank.subject,
        role: 'support',
        requestId: randomUUID(),
      }),
      'NOT_FOUND',
    );
  });

  it('adds, lists and removes policy rules', async () => {
    const rule = await call<PolicyRule>(GovernanceSubjects.addPolicyRule, acmeAdmin, {
      rule: { subject: 'agent:bot-1', action: 'tools.call', resource: 'tools/weather', effect: 'ALLOW' },
      requestId: randomUUID(),
    });
    expect(rule).toMatchObject({
      subject: 'agent:bot-1',
      action: 'tools.call',
      resource: 'tools/weather',
      effect: 'ALLOW',
      requiresApproval: false,
    });
    const rules = await call<ListPolicyRulesResponse>(GovernanceSubjects.listPolicyRules, acmeAdmin, {
      subject: 'agent:bot-1',
    });
    expect(rules.rules.map((r) => r.id)).toContain(rule.id);
    const removed = await call<PolicyRule>(GovernanceSubjects.removePolicyRule, acmeAdmin, {
      id: rule.id,
      requestId: randomUUID(),
    });
    expect(removed.id).toBe(rule.id);
    await expectCode(
      call(GovernanceSubjects.removePolicyRule, acmeAdmin, { id: rule.id, requestId: randomUUID() }),
      'NOT_FOUND',
    );
    await expectCode(
      call(GovernanceSubjects.addPolicyRule, acmeAdmin, {
        rule: { subject: 'agent:x', action: 'tools.call', effect: 'RULE_EFFECT_UNSPECIFIED' },
        requestId: randomUUID(),
      }),
      'INVALID_ARGUMENT',
      'rule.effect',
    );
  });
});

describe('CheckAccess', () => {
  it('explains an allowed and a denied decision with the matched binding and rule', async () => {
    const viewer = await createPrincipal(acmeAdmin, 'vera');
    const binding = await call<RoleBinding>(GovernanceSubjects.assignRole, acmeAdmin, {
      subject: viewer.subject,
      role: 'viewer',
      requestId: randomUUID(),
    });
    const allowed = await call<CheckAccessResponse>(GovernanceSubjects.checkAccess, acmeAdmin, {
      subject: viewer.subject,
      action: 'agents.get',
      minPosition: binding.logPosition,
    });
    expect(allowed).toMatchObject({ decision: 'ALLOWED', allowed: true, subject: viewer.subject });
    expect(allowed.explanation).toContain('viewer');
    expect(allowed.matchedBinding?.id).toBe(binding.id);
    expect(allowed.matchedRule).toMatchObject({ subject: 'role:viewer', action: 'agents.get' });

    const denied = await call<CheckAccessResponse>(GovernanceSubjects.checkAccess, acmeAdmin, {
      subject: viewer.subject,
      action: 'agents.create',
    });
    expect(denied).toMatchObject({ decision: 'DENIED', allowed: false });
    expect(denied.explanation).toMatch(/denied/);

    const self = await call<CheckAccessResponse>(GovernanceSubjects.checkAccess, acmeAdmin, {
      action: 'agents.create',
    });
    expect(self).toMatchObject({ decision: 'ALLOWED', subject: `user:${acme.admin!.id}` });

    const rule = await call<PolicyRule>(GovernanceSubjects.addPolicyRule, acmeAdmin, {
      rule: {
        subject: 'agent:payer',
        action: 'tools.call',
        resource: 'tools/pay',
        effect: 'ALLOW',
        requiresApproval: true,
      },
      requestId: randomUUID(),
    });
    const approval = await call<CheckAccessResponse>(GovernanceSubjects.checkAccess, acmeAdmin, {
      subject: 'agent:payer',
      action: 'tools.call',
      resource: 'tools/pay',
      minPosition: rule.logPosition,
    });
    expect(approval).toMatchObject({ decision: 'APPROVAL_REQUIRED', allowed: false });
    expect(approval.matchedRule?.id).toBe(rule.id);
  });
});

describe('approvals', () => {
  const request = (ttlSeconds = 0, requestId?: string) =>
    call<Approval>(GovernanceSubjects.requestApproval, ctxOf('acme', 'runtime'), {
      subject: 'agent:payer',
      action: 'tools.call',
      resource: 'tools/pay',
      reason: 'refund order 42',
      ttlSeconds,
      ...(requestId ? { requestId } : {}),
    });
  const decide = (id: string, approve: boolean, ctx = acmeAdmin) =>
    call<Approval>(GovernanceSubjects.decideApproval, ctx, {
      id,
      approve,
      reason: approve ? 'looks right' : 'no',
      requestId: randomUUID(),
    });

  it('is approved or rejected once, recording who decided and why', async () => {
    const pending = await request();
    expect(pending).toMatchObject({ state: 'PENDING', subject: 'agent:payer', reason: 'refund order 42' });
    const approved = await decide(pending.id, true);
    expect(approved).toMatchObject({
      state: 'APPROVED',
      decidedBy: `user:${acme.admin!.id}`,
      decisionReason: 'looks right',
    });
    await expectCode(decide(pending.id, false), 'FAILED_PRECONDITION');

    const other = await request();
    expect((await decide(other.id, false)).state).toBe('REJECTED');
    const again = await request(0, 'approval-once');
    expect((await request(0, 'approval-once')).id).toBe(again.id);
  });

  it('expires when its ttl passes, and lists by state', async () => {
    const shortLived = await request(1);
    await expect
      .poll(
        async () =>
          (
            await call<ListApprovalsResponse>(GovernanceSubjects.listApprovals, acmeAdmin, { state: 'EXPIRED' })
          ).approvals.map((a) => a.id),
        {
          timeout: 10_000,
          interval: 200,
        },
      )
      .toContain(shortLived.id);
    await expectCode(decide(shortLived.id, true), 'FAILED_PRECONDITION');
    const pending = await call<ListApprovalsResponse>(GovernanceSubjects.listApprovals, acmeAdmin, {
      state: 'PENDING',
    });
    expect(pending.approvals.every((a) => a.state === 'PENDING')).toBe(true);
    const events = await store.readStream({ tenantId: 'acme', category: 'approval', id: shortLived.id });
    expect(events.map((e) => e.type)).toEqual(['ApprovalRequested', 'ApprovalExpired']);
  });

  it('keeps the arguments the agent gave, cut at 16384 characters with the flag', async () => {
    const ask = (argumentsJson: string) =>
      call<Approval>(GovernanceSubjects.requestApproval, ctxOf('acme', 'runtime'), {
        subject: 'agent:payer',
        action: 'tools.call',
        resource: 'tools/pay',
        reason: 'needs approval: rule r1',
        argumentsJson,
      });
    const small = await ask('{"order":42,"amount":"19.90"}');
    expect(small).toMatchObject({ argumentsJson: '{"order":42,"amount":"19.90"}', argumentsTruncated: false });
    const long = `{"note":"${'x'.repeat(20_000)}"}`;
    const cut = await ask(long);
    expect(cut.argumentsJson).toBe(long.slice(0, 16_384));
    expect(cut.argumentsTruncated).toBe(true);
    const listed = await call<ListApprovalsResponse>(GovernanceSubjects.listApprovals, acmeAdmin, {
      state: 'PENDING',
    });
    expect(listed.approvals.find((a) => a.id === cut.id)).toMatchObject({ argumentsTruncated: true });
    expect(listed.approvals.find((a) => a.id === cut.id)?.argumentsJson).toHaveLength(16_384);
    // Characters, not UTF-16 units: 20,000 emoji are cut at 16384 of them, never half of one.
    const emoji = await ask('😀'.repeat(20_000));
    expect(emoji.argumentsJson).toBe('😀'.repeat(16_384));
    expect(emoji.argumentsTruncated).toBe(true);
    const fits = await ask('😀'.repeat(16_384));
    expect(fits).toMatchObject({ argumentsJson: '😀'.repeat(16_384), argumentsTruncated: false });
    await expectCode(
      call(GovernanceSubjects.requestApproval, ctxOf('acme', 'runtime'), {
        subject: 'agent:payer',
        action: 'tools.call',
        runId: 'no run',
      }),
      'INVALID_ARGUMENT',
      'run_id',
    );
  });

  it('is withdrawn once the run that asked is no longer its task running attempt, and then cannot be decided', async () => {
    const taskId = `task_${randomUUID().slice(0, 8)}`;
    await appendTaskEvents(taskId, [
      {
        type: 'TaskSubmitted',
        data: {
          taskId,
          text: 'refund order 42',
          requiredCapabilities: [],
          requestedAgentId: '',
          priority: 'NORMAL',
          submittedBy: 'user:p',
        },
      },
      {
        type: 'TaskRouted',
        data: {
          taskId,
          agentId: 'payer',
          cause: 'submitted',
          decision: { router: 'lexical', chosenAgentId: 'payer', candidates: [], rationale: '' },
        },
      },
      { type: 'TaskStarted', data: { taskId, runId: `${taskId}-1`, attempt: 1, agentId: 'payer', runner: 'r1' } },
    ]);
    const asked = () =>
      call<Approval>(GovernanceSubjects.requestApproval, ctxOf('acme', 'runtime'), {
        subject: 'agent:payer',
        action: 'tools.call',
        resource: 'tools/pay',
        reason: 'needs approval',
        runId: `${taskId}-1`,
        requestId: `${taskId}-1/approval/call-1`,
      });
    const pending = await asked();
    expect(pending.state).toBe('PENDING');
    // The run still runs: nothing withdraws it.
    await new Promise((r) => setTimeout(r, 300));
    expect(
      (
        await call<ListApprovalsResponse>(GovernanceSubjects.listApprovals, acmeAdmin, { state: 'PENDING' })
      ).approvals.map((a) => a.id),
    ).toContain(pending.id);

    await appendTaskEvents(
      taskId,
      [{ type: 'TaskCancelled', data: { taskId, reason: 'not needed', cancelledBy: 'user:p' } }],
      3,
    );
    const withdrawn = async () =>
      (
        await call<ListApprovalsResponse>(GovernanceSubjects.listApprovals, acmeAdmin, { state: 'WITHDRAWN' })
      ).approvals.find((a) => a.id === pending.id);
    await expect.poll(withdrawn, { timeout: 10_000, interval: 100 }).toMatchObject({
      state: 'WITHDRAWN',
      decisionReason: `task ${taskId} was cancelled before anyone decided`,
    });
    const refused = await expectCode(decide(pending.id, true), 'FAILED_PRECONDITION');
    expect(refused.message).toContain(`approval ${pending.id} is WITHDRAWN`);
    const pendingNow = await call<ListApprovalsResponse>(GovernanceSubjects.listApprovals, acmeAdmin, {
      state: 'PENDING',
    });
    expect(pendingNow.approvals.map((a) => a.id)).not.toContain(pending.id);
    // A retried request of the gone run gets the same, withdrawn approval; the log holds one withdrawal.
    expect(await asked()).toMatchObject({ id: pending.id });
    const events = await store.readStream({ tenantId: 'acme', category: 'approval', id: pending.id });
    expect(events.map((e) => e.type)).toEqual(['ApprovalRequested', 'ApprovalWithdrawn']);
    expect(events[1]?.metadata.actor).toEqual({ kind: 'system', id: 'governance' });
  });
});

describe('budgets', () => {
  it('charges usage until exhausted, then refuses with RESOURCE_EXHAUSTED and CheckAccess says BUDGET_EXHAUSTED', async () => {
    const set = await call<Budget>(GovernanceSubjects.setBudget, acmeAdmin, {
      scope: 'AGENT',
      agentId: 'bot-1',
      period: 'DAILY',
      tokenLimit: 100,
      costLimitMicros: 0,
      requestId: randomUUID(),
    });
    expect(set).toMatchObject({ scope: 'AGENT', agentId: 'bot-1', tokenLimit: 100, tokensUsed: 0, exhausted: false });
    await call<Budget>(GovernanceSubjects.setBudget, acmeAdmin, {
      scope: 'TENANT',
      period: 'MONTHLY',
      tokenLimit: 1000,
      requestId: randomUUID(),
    });
    const usage = (tokens: number) =>
      call<RecordUsageReply>(GovernanceSubjects.recordUsage, ctxOf('acme', 'runtime'), {
        agentId: 'bot-1',
        tokens,
        costMicros: 5,
        source: 'run-1',
      });

    const first = await usage(60);
    expect(first.budgets.map((b) => [b.scope, b.tokensUsed])).toEqual([
      ['AGENT', 60],
      ['TENANT', 60],
    ]);
    const second = await usage(50);
    expect(second.budgets[0]).toMatchObject({ tokensUsed: 110, exhausted: true });
    await expectCode(usage(1), 'RESOURCE_EXHAUSTED');
    const after = await call<Budget>(GovernanceSubjects.getBudget, acmeAdmin, { scope: 'AGENT', agentId: 'bot-1' });
    expect(after.tokensUsed).toBe(110);
    const tenant = await call<Budget>(GovernanceSubjects.getBudget, acmeAdmin, { scope: 'TENANT' });
    expect(tenant.tokensUsed).toBe(110);

    const rule = await call<PolicyRule>(GovernanceSubjects.addPolicyRule, acmeAdmin, {
      rule: { subject: 'agent:bot-1', action: 'tools.call', resource: '*', effect: 'ALLOW' },
      requestId: randomUUID(),
    });
    const check = await call<CheckAccessResponse>(GovernanceSubjects.checkAccess, acmeAdmin, {
      subject: 'agent:bot-1',
      action: 'tools.call',
      resource: 'tools/weather',
      minPosition: rule.logPosition,
    });
    expect(check).toMatchObject({ decision: 'BUDGET_EXHAUSTED', allowed: false });
    expect(check.explanation).toMatch(/budget of agent bot-1 is exhausted/);
    await expectCode(call(GovernanceSubjects.getBudget, acmeAdmin, { scope: 'AGENT', agentId: 'nobody' }), 'NOT_FOUND');
  });
});

describe('tenant isolation', () => {
  it('answers NOT_FOUND for ids of another tenant', async () => {
    const globex = await call<CreateTenantResponse>(GovernanceSubjects.createTenant, root, {
      tenant: { id: 'globex' },
      requestId: randomUUID(),
    });
    secrets.push(globex.adminApiKeySecret);
    const globexAdmin = ctxOf('globex', globex.admin!.id);
    const acmeUser = await createPrincipal(acmeAdmin, 'isolated');
    const key = await createKey(acmeAdmin, acmeUser.id);
    secrets.push(key.secret);
    const approval = await call<Approval>(GovernanceSubjects.requestApproval, ctxOf('acme', 'runtime'), {
      subject: 'agent:a',
      action: 'tools.call',
    });

    await expectCode(call(GovernanceSubjects.getPrincipal, globexAdmin, { id: acmeUser.id }), 'NOT_FOUND');
    await expectCode(createKey(globexAdmin, acmeUser.id), 'NOT_FOUND');
    await expectCode(call(GovernanceSubjects.listApiKeys, globexAdmin, { principalId: acmeUser.id }), 'NOT_FOUND');
    await expectCode(
      call(GovernanceSubjects.revokeApiKey, globexAdmin, { id: key.apiKey!.id, requestId: randomUUID() }),
      'NOT_FOUND',
    );
    await expectCode(
      call(GovernanceSubjects.decideApproval, globexAdmin, { id: approval.id, approve: true, requestId: randomUUID() }),
      'NOT_FOUND',
    );
    await expectCode(
      call(GovernanceSubjects.assignRole, globexAdmin, {
        subject: acmeUser.subject,
        role: 'viewer',
        requestId: randomUUID(),
      }),
      'NOT_FOUND',
    );
    const list = await call<ListPrincipalsResponse>(GovernanceSubjects.listPrincipals, globexAdmin, {});
    expect(list.principals.map((p) => p.tenantId)).toEqual(['globex']);
  });
});

describe('the log', () => {
  it('never holds a secret, and every event carries the actor of its request', async () => {
    const events = await allEvents();
    const json = JSON.stringify(events);
    expect(secrets.length).toBeGreaterThan(5);
    for (const secret of secrets) {
      expect(secret).not.toBe('');
      expect(json).not.toContain(secret);
      expect(json).not.toContain(secret.split('_').slice(2).join('_'));
    }
    const governance = events.filter((e) =>
      ['tenant', 'principal', 'policy', 'approval', 'budget'].includes(e.category),
    );
    const acmeAdminEvents = governance.filter(
      (e) =>
        e.type === 'PrincipalCreated' && e.metadata.tenantId === 'acme' && (e.data as { name: string }).name === 'bob',
    );
    expect(acmeAdminEvents[0]?.metadata.actor).toEqual({ kind: 'user', id: acme.admin!.id });
    const expired = governance.filter((e) => e.type === 'ApprovalExpired');
    expect(expired.every((e) => e.metadata.actor.kind === 'system')).toBe(true);
    const byRoot = governance.filter((e) => e.metadata.tenantId === 'acme' && e.metadata.requestId === 'create-acme');
    expect(byRoot.length).toBe(4);
    expect(byRoot.every((e) => e.metadata.actor.id === root.actor.id)).toBe(true);
  });
});
