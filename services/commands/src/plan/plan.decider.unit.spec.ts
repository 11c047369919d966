import { describe, expect, it } from 'vitest';
import type { PlanInterpreted } from '@aos/domain';
import { AosError } from '@aos/errors';
import { decide, evolve, initialPlanState, type PlanDomainEvent, type PlanState } from './plan.decider';

const digest = 'a'.repeat(64);
const plan: PlanInterpreted = {
  planId: '5b1f8c1e-0000-4000-8000-000000000001',
  text: 'pause billing-helper',
  interpreter: 'PARSER',
  fallbackReason: '',
  steps: [],
  questions: [],
  notes: [],
  digest,
  createdBy: 'user:alice',
};
const given = (...events: PlanDomainEvent[]): PlanState => events.reduce(evolve, initialPlanState);
const interpreted: PlanDomainEvent = { type: 'PlanInterpreted', data: plan };
const execution = { planId: plan.planId, digest, outcomes: [], succeeded: true };

describe('plan decider', () => {
  it('records a new plan once', () => {
    expect(decide({ type: 'RecordPlan', plan }, given())).toEqual([interpreted]);
    expect(decide({ type: 'RecordPlan', plan }, given(interpreted))).toEqual([]);
  });

  it('numbers executions from 1', () => {
    const first = decide({ type: 'RecordExecution', execution }, given(interpreted));
    expect(first).toEqual([{ type: 'PlanExecuted', data: { ...execution, attempt: 1 } }]);
    expect(decide({ type: 'RecordExecution', execution }, given(interpreted, first[0]!))[0]!.data).toMatchObject({
      attempt: 2,
    });
  });

  it('refuses an execution of no plan (NOT_FOUND) or of other actions (FAILED_PRECONDITION)', () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as AosError).code;
      }
      return 'none';
    };
    expect(codeOf(() => decide({ type: 'RecordExecution', execution }, given()))).toBe('NOT_FOUND');
    const other = { ...execution, digest: 'b'.repeat(64) };
    expect(codeOf(() => decide({ type: 'RecordExecution', execution: other }, given(interpreted)))).toBe(
      'FAILED_PRECONDITION',
    );
  });
});
