import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalState, BudgetScope, TaskState, type Approval, type Event, type Task } from '@aos/contracts';
import type { AosClient } from '@aos/grpc-client';
import { startTestStack, type TestStack } from '@aos/testing';
import { startDemo, type RunningDemo } from './demo';
import {
  APPROVAL_TOOL,
  DEMO_AGENTS,
  DEMO_DAILY_COST_MICROS,
  DEMO_DAILY_TOKENS,
  DEMO_TOOLS,
  seedDemo,
} from './demo.seed';

/**
 * `npm run demo` against a whole stack: the demo seeds its tenant through the
 * gateway, attaches the example agent processes, and its tasks flow — real
 * routing, real governed tool calls, a real approval waiting for a person.
 */
const FIRST_MINUTE_MS = 60_000;
let t: TestStack;
let demo: RunningDemo;
let api: AosClient;
const logged: string[] = [];

beforeAll(async () => {
  t = await startTestStack();
  demo = await startDemo({
    gatewayAddr: t.gatewayAddr,
    adminKey: t.apiKey,
    dataDir: t.dataDir,
    log: (m) => logged.push(m),
    taskIntervalMs: 1_000,
    agentOutput: 'ignore',
  });
  api = demo.client;
}, 90_000);

afterAll(async () => {
  await demo?.stop();
  await t?.stop();
});

async function allTasks(): Promise<Task[]> {
  return (await api.tasks.listTasks({ pageSize: 1000 })).tasks;
}

async function pendingApprovals(): Promise<Approval[]> {
  return (await api.governance.listApprovals({ state: ApprovalState.PENDING })).approvals;
}

/** Every event in the demo tenant's log: the traffic keeps adding, so one page of 1000 may end before the newest. */
async function allEvents(): Promise<Event[]> {
  const events: Event[] = [];
  let pageToken = '';
  do {
    const page = await api.audit.listEvents({ pageSize: 1000, pageToken });
    events.push(...page.events);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return events;
}

/** Polls `probe` until it returns a value, or fails with what it last saw. */
async function within<T>(ms: number, probe: () => Promise<T | undefined>, what: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('npm run demo', () => {
  it('writes the demo tenant admin key to <data dir>/demo-admin.key, readable by its owner only', async () => {
    expect(demo.seed.keyPath).toBe(`${t.dataDir}/demo-admin.key`);
    expect(readFileSync(demo.seed.keyPath, 'utf8').trim()).toBe(demo.seed.apiKey);
    expect(statSync(demo.seed.keyPath).mode & 0o077).toBe(0);
    const me = await api.governance.whoAmI({});
    expect(me.tenantId).toBe('demo');
  });

  it('within a minute: at least 3 demo tasks SUCCEEDED and exactly one refund waits for approval', async () => {
    let seen: Task[] = [];
    const pending = await within(
      FIRST_MINUTE_MS,
      async () => {
        seen = await allTasks();
        const succeeded = seen.filter((task) => task.state === TaskState.SUCCEEDED);
        const approvals = await pendingApprovals();
        return succeeded.length >= 3 && approvals.length >= 1 ? approvals : undefined;
      },
      () => `tasks ${JSON.stringify(seen.map((x) => [x.state, x.failureReason]))}; log ${logged.join(' | ')}`,
    );
    expect(seen.every((task) => task.text.startsWith('[demo] '))).toBe(true);
    expect(seen.filter((task) => task.state === TaskState.FAILED)).toEqual([]);
    expect(pending).toHaveLength(1);
    const refunder = demo.seed.agents.find((a) => a.spec.tool === APPROVAL_TOOL)!.agent;
    const refundTool = demo.seed.tools.find((x) => x.name === APPROVAL_TOOL)!;
    expect(pending[0]).toMatchObject({ subject: `agent:${refunder.id}`, resource: `tools/${refundTool.id}` });
    const waiting = seen.find((task) => task.approvalId === pending[0]!.id);
    expect(waiting?.state).toBe(TaskState.WAITING_APPROVAL);
    expect(waiting?.assignedAgentId).toBe(refunder.id);
    // Nothing reached the tool server before a person decided.
    expect(demo.toolServer.refunds).toEqual([]);
  });

  it('the agents called the tools through AgentOS: each call is a ToolCalled event in the demo tenant audit', async () => {
    const { events } = await api.audit.listEvents({ eventTypes: ['ToolCalled'], pageSize: 1000 });
    const calls = events.map((e) => JSON.parse(e.dataJson) as { toolId: string; decision: string; outcome: string });
    const readTools = demo.seed.tools.filter((x) => x.name !== APPROVAL_TOOL).map((x) => x.id);
    const allowed = calls.filter((c) => readTools.includes(c.toolId) && c.decision === 'ALLOWED' && c.outcome === 'ok');
    expect(allowed.length).toBeGreaterThanOrEqual(3);
    expect(events.every((e) => e.metadata?.tenantId === 'demo' && e.metadata?.actor?.kind === 'agent')).toBe(true);
  });

  it('once a person approves, the refund is issued, the task succeeds and the next refund waits', async () => {
    const [approval] = await pendingApprovals();
    const decided = await t.clientWithKey(demo.seed.apiKey).governance.decideApproval({
      id: approval!.id,
      approve: true,
      reason: 'checked the photos',
      requestId: 'demo-test/approve',
    });
    expect(decided.state).toBe(ApprovalState.APPROVED);
    const task = await within(
      20_000,
      async () =>
        (await allTasks()).find(
          (x) => x.approvalId === '' && x.state === TaskState.SUCCEEDED && x.text.includes('Refund'),
        ),
      () => 'the refund task did not succeed',
    );
    expect(task.result).toMatch(/issue-refund/);
    expect(demo.toolServer.refunds).toHaveLength(1);
    const next = await within(
      20_000,
      async () => (await pendingApprovals()).find((a) => a.id !== approval!.id),
      () => 'no next refund approval',
    );
    expect(next.state).toBe(ApprovalState.PENDING);
  });

  it('has a daily token budget; external agents report no usage, so it stays at 0 tokens', async () => {
    const budget = await api.governance.getBudget({ scope: BudgetScope.TENANT });
    expect(budget).toMatchObject({ tokenLimit: DEMO_DAILY_TOKENS, exhausted: false });
    expect(budget.tokensUsed).toBe(0);
  });

  it("spend moves: the tenant's cost used is above 0 and is the sum of the priced calls' UsageCharged", async () => {
    const prices = new Map(DEMO_TOOLS.map((x) => [x.name, x.priceMicros]));
    expect(demo.seed.tools.map((x) => [x.name, Number(x.priceMicros)])).toEqual([...prices]);
    // The traffic goes on: compare once no charge is between governance's budget and the run's record.
    let last = '';
    const { budget, charged } = await within(
      20_000,
      async () => {
        const budget = await api.governance.getBudget({ scope: BudgetScope.TENANT });
        const events = await allEvents();
        const charges = events.filter((e) => e.type === 'UsageCharged').map((e) => JSON.parse(e.dataJson));
        const sum = charges.reduce((total: number, c: { costMicros: number }) => total + c.costMicros, 0);
        last = `budget ${budget.costUsedMicros}, UsageCharged sum ${sum} of ${charges.length}`;
        return Number(budget.costUsedMicros) === sum ? { budget, charged: charges } : undefined;
      },
      () => last,
    );
    expect(Number(budget.costUsedMicros)).toBeGreaterThan(0);
    expect(Number(budget.costLimitMicros)).toBe(DEMO_DAILY_COST_MICROS);
    expect(budget.exhausted).toBe(false);
    // Each charge is one priced call: 0 tokens, one of the demo's prices.
    for (const c of charged as { tokens: number; costMicros: number; callId?: string }[]) {
      expect(c.tokens).toBe(0);
      expect([...prices.values()]).toContain(c.costMicros);
      expect(c.callId).toBeTruthy();
    }
  });

  it('seeding again records nothing twice: the same agents, tools and rule, no new seed events', async () => {
    const before = await allEvents();
    const seedEvents = (events: readonly Event[]) =>
      events.filter((e) => e.metadata?.requestId.startsWith('demo-seed/')).map((e) => e.id);
    const again = await seedDemo({
      gatewayAddr: t.gatewayAddr,
      adminKey: t.apiKey,
      dataDir: t.dataDir,
      toolServer: async (registered) => {
        expect(registered?.origin).toBe(demo.toolServer.url);
        return demo.toolServer.url;
      },
    });
    expect(again.apiKey).toBe(demo.seed.apiKey);
    expect(again.agents.map((a) => a.agent.id)).toEqual(demo.seed.agents.map((a) => a.agent.id));
    expect(again.tools.map((x) => x.id)).toEqual(demo.seed.tools.map((x) => x.id));
    expect((await api.agents.listAgents({ pageSize: 100 })).agents).toHaveLength(DEMO_AGENTS.length);
    expect((await api.tools.listTools({ pageSize: 100 })).tools).toHaveLength(DEMO_TOOLS.length);
    expect((await api.governance.listPolicyRules({})).rules).toHaveLength(1);
    const after = await allEvents();
    expect(seedEvents(after)).toEqual(seedEvents(before));
    // The default tenant holds none of it.
    expect((await t.client.agents.listAgents({ pageSize: 100 })).agents).toEqual([]);
  });
});
