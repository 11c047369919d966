import { describe, expect, it } from 'vitest';
import { PLAN_METHODS } from '@aos/command-language';
import { idsAsTheyAre } from '../src/output/id-labels';
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

  it('a reply cut short for the log is not decoded (it is shown as the server sent it)', async () => {
    expect(await decodeStepReply('AgentService', 'ListAgents', '{"agents":[{"id":"4d5')).toBeUndefined();
    expect(await decodeStepReply('AgentService', 'NoSuchMethod', '{}')).toBeUndefined();
  });
});
