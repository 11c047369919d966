import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planDigest } from '@aos/command-language';
import { loadConfig } from '@aos/config';
import {
  CommandSubjects,
  GovernanceSubjects,
  LifecycleSubjects,
  PLAN_CATEGORY,
  type Agent,
  type Plan,
  type Principal,
} from '@aos/contracts';
import { AosError } from '@aos/errors';
import { createEventStore, type EventStore, type RecordedEvent } from '@aos/event-store';
import { startGovernance } from '@aos/governance';
import { startLifecycle } from '@aos/lifecycle';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { startCommands } from '../src/bootstrap';
import { scriptedInterpreter } from './support/scripted-interpreter';
import { MAX_PLAN_STEPS } from '../src/plan/plan.handler';

/**
 * The commands service with the services its plans call (lifecycle) and the
 * one that records who may do what (governance), on a real nats-server,
 * asked over NATS exactly as the gateway asks it: the caller's tenant, actor
 * and grant subjects in the request context.
 */
const TENANT = 'default';
let nats: NatsServerHandle;
let dataDir: string;
let client: ServiceClient;
let store: EventStore;
const running: { close(): Promise<void> }[] = [];
const interpreter = scriptedInterpreter();
let alice: RequestContext;
let bob: RequestContext;

const admin: RequestContext = { tenantId: TENANT, actor: { kind: 'system', id: 'test' }, correlationId: randomUUID() };

async function principalWithRole(name: string, role: string): Promise<RequestContext> {
  const principal: Principal = await client.request(GovernanceSubjects.createPrincipal, admin, {
    principal: { kind: 'USER' as Principal['kind'], name },
    requestId: randomUUID(),
  });
  const binding = await client.request(GovernanceSubjects.assignRole, admin, {
    subject: principal.subject,
    role,
    requestId: randomUUID(),
  });
  await reached(binding.logPosition);
  return {
    tenantId: TENANT,
    actor: { kind: 'user', id: principal.id },
    correlationId: randomUUID(),
    grantSubjects: [principal.subject],
  };
}

/** Waits until the commands service has applied `position` (a GetPlan's min_position; the plan does not exist). */
async function reached(position: number): Promise<void> {
  await expect(
    client.request(CommandSubjects.getPlan, admin, { id: randomUUID(), minPosition: position }),
  ).rejects.toMatchObject({ code: 'NOT_FOUND' });
}

const interpret = (ctx: RequestContext, text: string, requestId?: string) =>
  client.request(CommandSubjects.interpret, ctx, { text, ...(requestId ? { requestId } : {}) });

const execute = (ctx: RequestContext, plan: Pick<Plan, 'id' | 'digest'>, confirmDestructive = false) =>
  client.request(CommandSubjects.execute, ctx, { planId: plan.id, digest: plan.digest, confirmDestructive });

async function createAgent(name: string): Promise<Agent> {
  const created = await client.request(LifecycleSubjects.create, alice, {
    agent: { name, capabilities: ['billing'] },
    requestId: randomUUID(),
  });
  return client.request(LifecycleSubjects.deploy, alice, { id: created.id, requestId: randomUUID() });
}

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return { code: (err as AosError).code, message: (err as AosError).message };
  }
  return { code: 'OK', message: '' };
}

async function eventsOf(category: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll({ filter: { tenantId: TENANT, category } })) events.push(event);
  return events;
}

beforeAll(async () => {
  nats = await startNatsServer();
  dataDir = mkdtempSync(join(tmpdir(), 'aos-commands-'));
  const config = loadConfig({ AOS_NATS_URL: nats.url, AOS_LOG_LEVEL: 'warn', AOS_DATA_DIR: dataDir });
  running.push(await startGovernance(config, { shutdownHooks: false }));
  running.push(await startLifecycle(config, { shutdownHooks: false }));
  running.push(await startCommands(config, { shutdownHooks: false, interpreter }));
  store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  client = new ServiceClient(nats.url);
  await client.connect();
  alice = await principalWithRole(`alice-${randomUUID().slice(0, 6)}`, 'tenant-admin');
  bob = await principalWithRole(`bob-${randomUUID().slice(0, 6)}`, 'viewer');
});

afterAll(async () => {
  await client?.close();
  for (const service of running.reverse()) await service.close();
  await store?.close();
  await nats?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Interpret', () => {
  const text = 'create an agent called invoice-bot that handles invoices and refunds, and deploy it';

  it('records the plan in its stream and replies with each step annotated', async () => {
    const plan = await interpret(alice, text);
    expect(plan.steps.map((s) => [s.method, s.permission, s.risk, s.permitted])).toEqual([
      ['CreateAgent', 'agents.create', 'WRITE', true],
      ['DeployAgent', 'agents.deploy', 'WRITE', true],
    ]);
    expect(plan.steps[1]!.inputs).toEqual([{ field: 'id', fromStep: 0, fromField: 'id' }]);
    expect(plan.steps[0]!.resource).toBe('*');
    expect(plan).toMatchObject({ executable: true, createdBy: alice.actor.kind + ':' + alice.actor.id });
    expect(plan.digest).toBe(
      planDigest(plan.steps.map((s) => ({ ...s, request: JSON.parse(s.requestJson) as Record<string, unknown> }))),
    );

    const recorded = await store.readStream({ tenantId: TENANT, category: PLAN_CATEGORY, id: plan.id });
    expect(recorded.map((e) => e.type)).toEqual(['PlanInterpreted']);
    expect(recorded[0]!.data).toMatchObject({ text, digest: plan.digest, createdBy: plan.createdBy });
    expect(recorded[0]!.metadata.actor).toEqual(alice.actor);
    expect(plan.position).toBe(recorded[0]!.position);
  });

  it('asks to narrow down a plan of more calls than one plan holds, instead of recording them', async () => {
    const within = await interpret(alice, `who am i, ${MAX_PLAN_STEPS} times`);
    expect(within.steps).toHaveLength(MAX_PLAN_STEPS);
    const over = await interpret(alice, `who am i, ${MAX_PLAN_STEPS + 1} times`);
    expect(over.steps).toEqual([]);
    expect(over.executable).toBe(false);
    expect(over.questions.map((q) => q.text).join(' ')).toContain(`This would be ${MAX_PLAN_STEPS + 1} calls`);
  });

  it('replays the same plan for the same request_id, without interpreting again', async () => {
    const requestId = randomUUID();
    const first = await interpret(alice, text, requestId);
    const calls = interpreter.calls;
    const again = await interpret(alice, text, requestId);
    expect(again).toEqual(first);
    expect(interpreter.calls).toBe(calls);
    expect(await store.readStream({ tenantId: TENANT, category: PLAN_CATEGORY, id: first.id })).toHaveLength(1);
  });

  it('refuses empty or over-long text and a bad request_id (INVALID_ARGUMENT naming the field)', async () => {
    for (const bad of ['', '   ', 'x'.repeat(2001)]) {
      const refused = await codeOf(interpret(alice, bad));
      expect(refused.code).toBe('INVALID_ARGUMENT');
      expect(refused.message).toMatch(/^text:/);
    }
    const long = await codeOf(interpret(alice, 'who am i', 'r'.repeat(129)));
    expect(long).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^request_id:/) });
  });
});

describe('Execute', () => {
  it('runs each step as the caller, filling inputs from earlier replies; a second Execute runs nothing again', async () => {
    const name = `invoice-bot-${randomUUID().slice(0, 6)}`;
    const plan = await interpret(
      alice,
      `create an agent called ${name} that handles invoices and refunds, and deploy it`,
    );
    const first = await execute(alice, plan);
    expect(first.succeeded).toBe(true);
    expect(first.outcomes.map((o) => o.status)).toEqual(['STEP_SUCCEEDED', 'STEP_SUCCEEDED']);
    const agent = JSON.parse(first.outcomes[1]!.responseJson) as { id: string; state: string; name: string };
    expect(agent).toMatchObject({ name, state: 'ACTIVE' });
    expect(first.outcomes[1]!.summary).toBe(`Deployed agent ${name} (${agent.id.slice(0, 8)}…): ACTIVE`);

    const second = await execute(alice, plan);
    expect(second.outcomes.map((o) => o.responseJson)).toEqual(first.outcomes.map((o) => o.responseJson));
    const agentEvents = (await eventsOf('agent')).filter((e) => e.streamId === agent.id);
    expect(agentEvents.map((e) => e.type)).toEqual(['AgentCreated', 'AgentDeployed']);
    // The steps ran as the caller, under request ids derived from the plan, correlated with it.
    expect(agentEvents.every((e) => e.metadata.actor.id === alice.actor.id)).toBe(true);
    expect(agentEvents.map((e) => e.metadata.requestId)).toEqual(
      [0, 1].map((i) => `plan:${plan.id}:${plan.digest.slice(0, 32)}:${i}`),
    );
    expect(agentEvents[0]!.metadata.correlationId).toBe(plan.id);

    const executions = (await store.readStream({ tenantId: TENANT, category: PLAN_CATEGORY, id: plan.id })).slice(1);
    expect(executions.map((e) => (e.data as { attempt: number }).attempt)).toEqual([1, 2]);
    const read = await client.request(CommandSubjects.getPlan, alice, { id: plan.id, minPosition: second.position });
    expect(read.lastExecution).toMatchObject({ succeeded: true, position: second.position });
  });

  it("a viewer's plan shows steps not permitted, and Execute is PERMISSION_DENIED with nothing run", async () => {
    await createAgent(`billing-${randomUUID().slice(0, 6)}`);
    const plan = await interpret(bob, 'retire all agents');
    expect(plan.steps.length).toBeGreaterThan(0);
    expect(plan.steps.every((s) => !s.permitted && s.risk === 'DESTRUCTIVE' && s.permission === 'agents.retire')).toBe(
      true,
    );
    const retiredBefore = (await eventsOf('agent')).filter((e) => e.type === 'AgentRetired').length;
    const refused = await codeOf(execute(bob, plan, true));
    expect(refused.code).toBe('PERMISSION_DENIED');
    expect(refused.message).toMatch(/^step 0 .*agents\.retire.*nothing was run/);
    expect((await eventsOf('agent')).filter((e) => e.type === 'AgentRetired')).toHaveLength(retiredBefore);
  });

  it('refuses a digest that is not the plan’s (FAILED_PRECONDITION) or not a digest (INVALID_ARGUMENT)', async () => {
    const plan = await interpret(alice, 'who am i');
    const tampered = await codeOf(execute(alice, { id: plan.id, digest: 'f'.repeat(64) }));
    expect(tampered.code).toBe('FAILED_PRECONDITION');
    expect(tampered.message).toMatch(/^digest: .*not plan/);
    const malformed = await codeOf(execute(alice, { id: plan.id, digest: 'abc' }));
    expect(malformed).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^digest:/) });
    const read = await execute(alice, plan);
    expect(JSON.parse(read.outcomes[0]!.responseJson)).toMatchObject({ subject: `user:${alice.actor.id}` });
  });

  it('refuses destructive steps without confirm_destructive, and runs them with it', async () => {
    const agent = await createAgent(`old-${randomUUID().slice(0, 6)}`);
    const plan = await interpret(alice, `retire ${agent.name}`);
    const refused = await codeOf(execute(alice, plan));
    expect(refused).toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringMatching(/^confirm_destructive:/),
    });
    expect((await eventsOf('agent')).filter((e) => e.streamId === agent.id).map((e) => e.type)).not.toContain(
      'AgentRetired',
    );
    const ran = await execute(alice, plan, true);
    expect(ran.outcomes[0]!.summary).toMatch(new RegExp(`^Retired agent ${agent.name} .*: RETIRED$`));
  });

  it('stops at the first failing step and reports its code; a plan with questions does not run', async () => {
    const agent = await createAgent(`paused-${randomUUID().slice(0, 6)}`);
    const retire = await interpret(alice, `retire ${agent.name}`);
    await execute(alice, retire, true);
    const pause = await interpret(alice, `pause ${agent.name}`);
    const failed = await execute(alice, pause);
    expect(failed.succeeded).toBe(false);
    expect(failed.outcomes[0]).toMatchObject({ status: 'STEP_FAILED', code: 'FAILED_PRECONDITION' });
    const question = await interpret(alice, 'pause nobody-has-this-name');
    expect(question.executable).toBe(false);
    expect((await codeOf(execute(alice, question))).code).toBe('FAILED_PRECONDITION');
  });

  it("another principal's plan is NOT_FOUND, to GetPlan and to Execute", async () => {
    const plan = await interpret(alice, 'who am i');
    expect((await codeOf(client.request(CommandSubjects.getPlan, bob, { id: plan.id, minPosition: 0 }))).code).toBe(
      'NOT_FOUND',
    );
    expect((await codeOf(execute(bob, plan))).code).toBe('NOT_FOUND');
    const own = await client.request(CommandSubjects.getPlan, alice, { id: plan.id, minPosition: 0 });
    expect(own).toMatchObject({ id: plan.id, digest: plan.digest });
    expect(own.lastExecution).toBeUndefined();
  });
});
