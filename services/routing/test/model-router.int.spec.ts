import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskState } from '@aos/contracts';
import { startScriptedModelServer, type ScriptedModelServer } from '@aos/testing';
import { startRoutingHarness, type RoutingCalls, type RoutingHarness } from './routing.fixture';

/**
 * The LLM router (AOS_ROUTER=auto with AOS_OPENAI_BASE_URL set) against a
 * local OpenAI-compatible server whose answers this test scripts: what is
 * checked is what routing does with an answer, not the quality of a model.
 */
let h: RoutingHarness;
let model: ScriptedModelServer;
let calls: RoutingCalls;

beforeAll(async () => {
  model = await startScriptedModelServer();
  h = await startRoutingHarness({ AOS_OPENAI_BASE_URL: model.baseURL, AOS_MODEL: 'router-model' });
  ({ calls } = h);
});

afterAll(async () => {
  await h?.stop();
  await model?.stop();
});

describe('LLM router', () => {
  it('lets the model choose among the lexical candidates, records its rationale, and falls back when it fails', async () => {
    const tenantId = 'llm-route';
    await calls.agent(
      { name: 'billing-bot', description: 'Answers invoice and refund questions', capabilities: ['support'] },
      { tenantId },
    );
    const helpdesk = await calls.agent(
      { name: 'it-helpdesk', description: 'Resets passwords and fixes laptops', capabilities: ['support'] },
      { tenantId },
    );

    // The lexical ranking lists only billing-bot ("refund"); the model is also offered the other
    // eligible agent, and the scripted answer picks it (candidate 2).
    model.scriptFor('the refund portal', {
      content: '{"agent": 2, "rationale": "the refund portal is down, which is an IT problem"}',
    });
    const task = await calls.submit('I cannot log in to the refund portal', { tenantId });
    expect(task.state).toBe(TaskState.ASSIGNED);
    expect(task.routing?.router).toBe('llm');
    expect(task.assignedAgentId).toBe(helpdesk.id);
    expect(task.routing?.chosenAgentId).toBe(helpdesk.id);
    expect(task.routing?.candidates.map((c) => c.agentName)).toEqual(['billing-bot', 'it-helpdesk']);
    expect(task.routing?.rationale).toBe(
      'model router-model chose it-helpdesk among 2 eligible agents: "the refund portal is down, which is an IT problem"',
    );
    const [asked] = await model.waitForRequests(1, 'the refund portal');
    expect(asked!.model).toBe('router-model');
    const prompt = JSON.stringify(asked!.messages);
    expect(prompt).toContain('1. billing-bot: Answers invoice and refund questions [capabilities: support]');
    expect(prompt).toContain('2. it-helpdesk: Resets passwords and fixes laptops');

    // A model that fails: the lexical choice stands, and the rationale says why.
    model.scriptFor('duplicate invoice', { status: 500 });
    const fallback = await calls.submit('Refund the duplicate invoice', { tenantId });
    expect(fallback.routing?.router).toBe('lexical');
    expect(fallback.routing?.rationale).toMatch(
      /chose billing-bot.*the model router failed \(.*500.*\), so the lexical choice stands/,
    );

    // Within the back-off the model is not asked at all.
    const before = model.requests.length;
    const paused = await calls.submit('Another invoice refund please', { tenantId });
    expect(paused.routing?.router).toBe('lexical');
    expect(paused.routing?.rationale).toMatch(/the model router is paused after a failure/);
    expect(model.requests.length).toBe(before);
  });
});
