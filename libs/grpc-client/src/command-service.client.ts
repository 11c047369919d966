import type { ExecuteRequest, Execution, GetPlanRequest, InterpretRequest, Plan } from '@aos/contracts';
import type { CallInvoker, UnaryMethod } from './call-invoker';
import { loadServiceDefinition } from './proto-definition';

/** aos.v1.CommandService: plain language to a plan, and the plan's execution as the caller. */
export interface CommandsClient {
  /** Records a plan and runs nothing. */
  interpret: UnaryMethod<InterpretRequest, Plan>;
  execute: UnaryMethod<ExecuteRequest, Execution>;
  getPlan: UnaryMethod<GetPlanRequest, Plan>;
}

export function createCommandsClient(invoker: CallInvoker): CommandsClient {
  const service = loadServiceDefinition('CommandService');
  return {
    interpret: invoker.unary(service.Interpret),
    execute: invoker.unary(service.Execute),
    getPlan: invoker.unary(service.GetPlan),
  };
}
