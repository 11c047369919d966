import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent, Tool } from '@aos/contracts';
import type { AosClient } from '@aos/grpc-client';
import { startTestStack, statusOf, type TestStack } from '@aos/testing';
import {
  activeAgent,
  confirm,
  httpTool,
  methodsOf,
  principalWithRole,
  rid,
  statusesOf,
  streamEvents,
  unique,
} from './command.fixtures';

/**
 * CommandService through the gateway of the whole stack, with the
 * deterministic parser (no model configured): a sentence becomes a plan,
 * the plan runs as the caller, and the audit tells the story.
 */
let t: TestStack;
let api: AosClient;

beforeAll(async () => {
  // An empty value is unset: these plans are the parser's whatever the machine's environment says.
  t = await startTestStack({ env: { AOS_OPENAI_BASE_URL: '' } });
  api = t.client;
});
afterAll(async () => {
  await t?.stop();
});

describe('a sentence that creates, equips and deploys an agent', () => {
  let ledger: Tool;
  beforeAll(async () => {
    ledger = await api.tools.registerTool({ tool: httpTool('ledger'), requestId: rid() });
  });

  it.each([
    // The issue's own words.
    [
      'invoice-bot',
      'create an agent called invoice-bot that handles invoices and refunds, give it the ledger tool and deploy it',
    ],
    // The same in the grammar's plainest form (docs/commands.md).
    ['refund-bot', 'create refund-bot with capabilities invoices and refunds, give it the ledger tool and deploy it'],
  ])(
    '"%s": plans the calls, runs them as the caller, and the audit shows the sentence, the digest and every call',
    async (name, text) => {
      const plan = await api.commands.interpret({ text, requestId: '' });
      expect(plan.questions).toEqual([]);
      expect(plan.executable).toBe(true);
      expect(plan.interpreter).toBe('PARSER');
      expect(plan.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(methodsOf(plan)[0]).toBe('AgentService.CreateAgent');
      expect(methodsOf(plan).at(-1)).toBe('AgentService.DeployAgent');
      expect(plan.steps.every((s) => s.permitted)).toBe(true);
      expect(plan.steps.map((s) => s.requestJson).join('\n')).toContain(ledger.id);

      const execution = await confirm(api, plan);
      expect(execution.succeeded).toBe(true);
      expect(statusesOf(execution)).toEqual(plan.steps.map(() => 'STEP_SUCCEEDED'));
      const created = JSON.parse(execution.outcomes[0]!.responseJson) as Agent;

      const agent = await api.agents.getAgent({ id: created.id, minPosition: execution.position });
      expect(agent).toMatchObject({ name, state: 'ACTIVE', toolIds: [ledger.id] });
      expect(agent.capabilities).toEqual(expect.arrayContaining(['invoices', 'refunds']));

      const planEvents = await streamEvents(api, `plan-${plan.id}`);
      expect(planEvents.map((e) => e.type)).toEqual(['PlanInterpreted', 'PlanExecuted']);
      const interpreted = JSON.parse(planEvents[0]!.dataJson) as { text: string; digest: string };
      expect(interpreted).toMatchObject({ text, digest: plan.digest });
      expect(JSON.parse(planEvents[1]!.dataJson)).toMatchObject({ digest: plan.digest, succeeded: true });
      const asker = planEvents[0]!.metadata!.actor!.id;

      // Each call the plan made is in the agent's stream, as the asker, tied to the plan and its digest.
      const agentEvents = await streamEvents(api, `agent-${agent.id}`);
      expect(agentEvents.map((e) => e.type)).toEqual(expect.arrayContaining(['AgentCreated', 'AgentDeployed']));
      const stepRequest = new RegExp(`^plan:${plan.id}:${plan.digest.slice(0, 32)}:\\d+$`);
      for (const event of agentEvents) {
        expect(event.metadata!.requestId).toMatch(stepRequest);
        expect(event.metadata!.correlationId).toBe(plan.id);
        expect(event.metadata!.actor!.id).toBe(asker);
      }

      const read = await api.commands.getPlan({ id: plan.id, minPosition: execution.position });
      expect(read.digest).toBe(plan.digest);
      expect(read.lastExecution?.succeeded).toBe(true);
    },
  );
});

describe('a viewer who says "retire all agents"', () => {
  it('gets a plan of steps it may not run; Execute is PERMISSION_DENIED and no agent is retired', async () => {
    const agents = [await activeAgent(api, unique('keep')), await activeAgent(api, unique('keep'))];
    const viewer = await principalWithRole(t, 'viewer');

    const plan = await viewer.client.commands.interpret({ text: 'retire all agents', requestId: '' });
    expect(plan.steps.length).toBeGreaterThanOrEqual(agents.length);
    expect(plan.steps.map((s) => s.permitted)).toEqual(plan.steps.map(() => false));
    expect(plan.steps.map((s) => s.risk)).toEqual(plan.steps.map(() => 'DESTRUCTIVE'));
    expect(plan.steps.every((s) => s.permission === 'agents.retire')).toBe(true);

    const denied = await statusOf(confirm(viewer.client, plan));
    expect(denied.code).toBe('PERMISSION_DENIED');

    for (const agent of agents)
      expect((await api.agents.getAgent({ id: agent.id, minPosition: 0 })).state).toBe('ACTIVE');
    // Nothing ran, so nothing was recorded as an execution.
    expect((await streamEvents(api, `plan-${plan.id}`)).map((e) => e.type)).toEqual(['PlanInterpreted']);
    // A plan is its asker's own: another principal cannot run it or read it.
    expect((await statusOf(confirm(api, plan))).code).toBe('NOT_FOUND');
    expect((await statusOf(api.commands.getPlan({ id: plan.id, minPosition: 0 }))).code).toBe('NOT_FOUND');
  });
});

describe('Execute checks the digest and runs nothing twice', () => {
  it('a tampered or another plan digest is FAILED_PRECONDITION and runs nothing', async () => {
    const agent = await activeAgent(api, unique('steady'));
    const plan = await api.commands.interpret({ text: `pause ${agent.name}`, requestId: '' });
    expect(methodsOf(plan)).toEqual(['AgentService.PauseAgent']);
    const other = await api.commands.interpret({ text: `resume ${agent.name}`, requestId: '' });
    const before = (await streamEvents(api, `agent-${agent.id}`)).length;

    const flipped = (plan.digest[0] === 'a' ? 'b' : 'a') + plan.digest.slice(1);
    for (const digest of [flipped, other.digest]) {
      const refused = await statusOf(api.commands.execute({ planId: plan.id, digest, confirmDestructive: false }));
      expect(refused.code).toBe('FAILED_PRECONDITION');
    }
    const malformed = await statusOf(
      api.commands.execute({ planId: plan.id, digest: 'xyz', confirmDestructive: false }),
    );
    expect(malformed.code).toBe('INVALID_ARGUMENT');
    expect(malformed.details).toMatch(/digest/);

    expect((await streamEvents(api, `agent-${agent.id}`)).length).toBe(before);
    expect((await api.agents.getAgent({ id: agent.id, minPosition: 0 })).state).toBe('ACTIVE');
  });

  it('executed twice, each step runs once and both executions report success', async () => {
    const agent = await activeAgent(api, unique('twice'));
    const plan = await api.commands.interpret({ text: `pause ${agent.name}`, requestId: '' });
    const before = await streamEvents(api, `agent-${agent.id}`);

    const first = await confirm(api, plan);
    const afterFirst = await streamEvents(api, `agent-${agent.id}`);
    const second = await confirm(api, plan);
    const afterSecond = await streamEvents(api, `agent-${agent.id}`);

    expect(first.succeeded).toBe(true);
    expect(second.succeeded).toBe(true);
    expect(afterFirst.slice(before.length).map((e) => e.type)).toEqual(['AgentPaused']);
    expect(afterSecond.map((e) => e.id)).toEqual(afterFirst.map((e) => e.id));
    expect(JSON.parse(second.outcomes[0]!.responseJson)).toMatchObject({ id: agent.id, state: 'PAUSED' });
  });

  it('a destructive step needs confirm_destructive', async () => {
    const agent = await activeAgent(api, unique('careful'));
    const plan = await api.commands.interpret({ text: `retire ${agent.name}`, requestId: '' });
    expect(plan.steps.map((s) => s.risk)).toEqual(['DESTRUCTIVE']);

    const refused = await statusOf(
      api.commands.execute({ planId: plan.id, digest: plan.digest, confirmDestructive: false }),
    );
    expect(refused.code).toBe('FAILED_PRECONDITION');
    expect((await api.agents.getAgent({ id: agent.id, minPosition: 0 })).state).toBe('ACTIVE');

    expect((await confirm(api, plan)).succeeded).toBe(true);
    expect((await api.agents.getAgent({ id: agent.id, minPosition: 0 })).state).toBe('RETIRED');
  });
});

describe('"show the versions of X and roll it back to version 1"', () => {
  it('reads the versions (agents.get, READ), then rolls back (agents.update, WRITE): version 3 is version 1 again', async () => {
    const agent = await activeAgent(api, unique('versioned'));
    const v2 = await api.agents.updateAgent({
      id: agent.id,
      agent: { instructions: 'the second instructions' } as Agent,
      updateMask: ['instructions'],
      requestId: rid(),
    });
    expect(v2.definitionVersion).toBe(2);

    const text = `show the versions of ${agent.name} and roll it back to version 1`;
    // Interpret reads the commands service's directory, which follows the log: until it has seen version 2, the
    // rollback is a note ("at version 1 already"); it is asked again (bounded) rather than racing the update.
    let plan = await api.commands.interpret({ text, requestId: '' });
    for (let i = 0; i < 20 && plan.steps.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      plan = await api.commands.interpret({ text, requestId: '' });
    }
    expect(plan.questions).toEqual([]);
    expect(plan.steps.map((s) => [`${s.service}.${s.method}`, s.permission, s.risk])).toEqual([
      ['AgentService.ListAgentVersions', 'agents.get', 'READ'],
      ['AgentService.RollbackAgent', 'agents.update', 'WRITE'],
    ]);
    expect(plan.steps[1]!.preview).toMatch(/^Roll back agent .* to version 1 \(of 2\)$/);

    const execution = await confirm(api, plan);
    expect(statusesOf(execution)).toEqual(['STEP_SUCCEEDED', 'STEP_SUCCEEDED']);
    const listed = JSON.parse(execution.outcomes[0]!.responseJson) as { versions: { definitionVersion: string }[] };
    expect(listed.versions.map((v) => Number(v.definitionVersion))).toEqual([2, 1]);
    const rolledBack = await api.agents.getAgent({ id: agent.id, minPosition: execution.position });
    expect(rolledBack.definitionVersion).toBe(3);
    expect(rolledBack.instructions).toBe(agent.instructions);
    const versions = await api.agents.listAgentVersions({ id: agent.id, minPosition: execution.position });
    expect(versions.versions[0]).toMatchObject({ definitionVersion: 3, rolledBackTo: 1 });
  });
});
