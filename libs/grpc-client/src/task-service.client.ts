import type {
  CancelTaskRequest,
  GetTaskRequest,
  ListTasksRequest,
  ListTasksResponse,
  ReassignTaskRequest,
  SubmitTaskRequest,
  Task,
  TaskStep,
  WatchTaskRequest,
} from '@aos/contracts';
import type { CallInvoker, ServerStreamMethod, UnaryMethod } from './call-invoker';
import { loadServiceDefinition } from './proto-definition';

/** aos.v1.TaskService: tasks in plain language, routed to the agent that fits best. */
export interface TasksClient {
  /** Records and routes the task: ASSIGNED with the routing decision, or QUEUED. */
  submitTask: UnaryMethod<SubmitTaskRequest, Task>;
  /** One task with its steps. */
  getTask: UnaryMethod<GetTaskRequest, Task>;
  listTasks: UnaryMethod<ListTasksRequest, ListTasksResponse>;
  cancelTask: UnaryMethod<CancelTaskRequest, Task>;
  /** A person's correction of the router; the router learns from it. */
  reassignTask: UnaryMethod<ReassignTaskRequest, Task>;
  /** The task's steps from the first (or after `afterPosition`), then live; ends after the finishing step. */
  watchTask: ServerStreamMethod<WatchTaskRequest, TaskStep>;
}

export function createTasksClient(invoker: CallInvoker): TasksClient {
  const service = loadServiceDefinition('TaskService');
  return {
    submitTask: invoker.unary(service.SubmitTask),
    getTask: invoker.unary(service.GetTask),
    listTasks: invoker.unary(service.ListTasks),
    cancelTask: invoker.unary(service.CancelTask),
    reassignTask: invoker.unary(service.ReassignTask),
    watchTask: invoker.serverStream(service.WatchTask),
  };
}
