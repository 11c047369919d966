import { FailedPreconditionError, NotFoundError, assertNever } from '@aos/errors';
import type { PlanExecuted, PlanInterpreted } from '@aos/domain';

/**
 * One plan: recorded once as interpreted, then each execution recorded after
 * it ran. The steps themselves are decided by their owners; this aggregate
 * only keeps what was asked and what came of it.
 */
export type PlanCommand =
  { type: 'RecordPlan'; plan: PlanInterpreted } | { type: 'RecordExecution'; execution: Omit<PlanExecuted, 'attempt'> };

export type PlanDomainEvent =
  { type: 'PlanInterpreted'; data: PlanInterpreted } | { type: 'PlanExecuted'; data: PlanExecuted };

export type PlanState = { status: 'NONE' } | { status: 'RECORDED'; planId: string; digest: string; executions: number };

export const initialPlanState: PlanState = { status: 'NONE' };

export function decide(command: PlanCommand, state: PlanState): PlanDomainEvent[] {
  switch (command.type) {
    case 'RecordPlan':
      // Recorded already (the same request_id): the plan stands as it was first made.
      return state.status === 'NONE' ? [{ type: 'PlanInterpreted', data: command.plan }] : [];
    case 'RecordExecution': {
      const { execution } = command;
      if (state.status === 'NONE') throw new NotFoundError('plan', execution.planId);
      if (state.digest !== execution.digest) {
        throw new FailedPreconditionError(`digest: the execution is not of plan ${state.planId} as recorded`);
      }
      return [{ type: 'PlanExecuted', data: { ...execution, attempt: state.executions + 1 } }];
    }
    default:
      return assertNever(command);
  }
}

export function evolve(state: PlanState, event: PlanDomainEvent): PlanState {
  switch (event.type) {
    case 'PlanInterpreted':
      return { status: 'RECORDED', planId: event.data.planId, digest: event.data.digest, executions: 0 };
    case 'PlanExecuted':
      return state.status === 'RECORDED' ? { ...state, executions: event.data.attempt } : state;
    default:
      return assertNever(event);
  }
}
