import { describe, expect, it } from 'vitest';
import { PLAN_METHODS } from '@aos/command-language';
import { idsAsTheyAre, type IdLabels } from '../src/output/id-labels';
import { readStepMethods, readStepView } from '../src/output/read-step.view';
import { decodeStepReply } from '../src/output/step-reply';

describe('read step views', () => {
  it('every read method a plan may call has the view of its dedicated command', () => {
    const reads = PLAN_METHODS.filter((m) => m.risk === 'READ').map((m) => `${m.service}.${m.method}`);
    expect(readStepMethods().sort()).toEqual(reads.sort());
  });

  it('a proto3 JSON reply (int64 as text, times as ISO, defaults left out) renders as a direct call does', async () => {
    const json = JSON.stringify({
      scope: 'TENANT',
      tenantId: 'default',
      period: 'DAILY',
      costLimitMicros: '5000000',
      tokensUsed: '1200',
      periodStart: '2026-03-01T00:00:00.000Z',
      logPosition: '42',
    });
    const reply = await decodeStepReply('GovernanceService', 'GetBudget', json);
    const text = readStepView('GovernanceService', 'GetBudget')!.render(reply, idsAsTheyAre);
    expect(text).toMatch(/^TOKEN LIMIT\s+no limit$/m);
    expect(text).toMatch(/^TOKENS USED\s+1200$/m);
    expect(text).toMatch(/^COST LIMIT\s+5\.00$/m);
    expect(text).toMatch(/^PERIOD START\s+2026-03-01T00:00:00\.000Z$/m);
    expect(text).toMatch(/^EXHAUSTED\s+no$/m);
  });

  it('approvals and a budget name their requester and agent, as aos approvals list and aos budgets get do', async () => {
    const user = '6f1c0c3e-0000-4000-8000-000000000001';
    const agent = '09d75c1d-0000-4000-8000-000000000002';
    const labels: IdLabels = (kind, id) => `${kind}=${id === user ? 'alice' : id === agent ? 'billing-helper' : id}`;
    const approvals = await decodeStepReply(
      'GovernanceService',
      'ListApprovals',
      JSON.stringify({ approvals: [{ id: 'a1', subject: `user:${user}`, state: 'PENDING' }] }),
    );
    const approvalView = readStepView('GovernanceService', 'ListApprovals')!;
    expect(approvalView.refs(approvals)).toEqual([['principal', user]]);
    expect(approvalView.render(approvals, labels)).toContain(`user:principal=alice`);
    const budget = await decodeStepReply(
      'GovernanceService',
      'GetBudget',
      JSON.stringify({ scope: 'AGENT', agentId: agent }),
    );
    const budgetView = readStepView('GovernanceService', 'GetBudget')!;
    expect(budgetView.refs(budget)).toEqual([['agent', agent]]);
    expect(budgetView.render(budget, labels)).toMatch(/^AGENT\s+agent=billing-helper$/m);
  });

  it('a reply cut short for the log is not decoded (it is shown as the server sent it)', async () => {
    expect(await decodeStepReply('AgentService', 'ListAgents', '{"agents":[{"id":"4d5')).toBeUndefined();
    expect(await decodeStepReply('AgentService', 'NoSuchMethod', '{}')).toBeUndefined();
  });
});
