import {
  type CommandPipeline,
  type CommandPipelineOptions,
  type PipelineWaits,
  type WriterHost,
  writerPipeline,
} from '@aos/command-pipeline';
import { TASK_CATEGORY, TASK_EVENTS_SCHEMA_VERSION } from '@aos/contracts';
import type { RequestContext } from '@aos/messaging';
import type { RoutingModel } from '../routing.model';
import { initialTaskState, type TaskState } from './task.decider';
import { TASK_EVENT_ID_NAMESPACE } from './task.ids';

export const DEFAULT_WAITS: PipelineWaits = { readMs: 5_000, writeMs: 5_000, catchUpMs: 2_000 };

/** The command pipeline of the `task-*` streams: every command routing decides goes through it. */
export function taskPipeline(
  deps: WriterHost & { waits?: Partial<PipelineWaits>; recall?: CommandPipelineOptions['recall'] },
): CommandPipeline {
  return writerPipeline(deps, {
    model: 'task',
    schemaVersion: TASK_EVENTS_SCHEMA_VERSION,
    eventNamespace: TASK_EVENT_ID_NAMESPACE,
    categories: [TASK_CATEGORY],
    waits: { ...DEFAULT_WAITS, ...deps.waits },
    recall: deps.recall,
  });
}

/** One task's stream as the pipeline finds it: in ctx's tenant, its state folded by the model. */
export function taskStream(model: RoutingModel, ctx: RequestContext, taskId: string) {
  return {
    stream: { category: TASK_CATEGORY, id: taskId },
    load: () => {
      const record = model.task(ctx.tenantId, taskId);
      return record && { state: record.task as TaskState, revision: record.revision };
    },
    initial: initialTaskState,
  };
}

/** The context of routing's own commands (reactions): the system acting, for the tenant. */
export function systemCtx(tenantId: string, correlationId: string): RequestContext {
  return { tenantId, actor: { kind: 'system', id: 'routing' }, correlationId };
}
