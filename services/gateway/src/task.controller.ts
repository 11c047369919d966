import { Controller, Inject } from '@nestjs/common';
import type { Metadata, ServerWritableStream } from '@grpc/grpc-js';
import type { Observable } from 'rxjs';
import {
  RoutingSubjects,
  TaskServiceControllerMethods,
  type CancelTaskRequest,
  type GetTaskRequest,
  type ListTasksRequest,
  type ListTasksResponse,
  type ReassignTaskRequest,
  type SubmitTaskRequest,
  type Task,
  type TaskServiceController,
  type TaskStep,
  type WatchTaskRequest,
} from '@aos/contracts';
import { ServiceClient } from '@aos/messaging';
import { RequiresPermission } from './authz/permission.registry';
import { CallContextResolver } from './call-context.resolver';
import { TaskWatchStream } from './task-watch.stream';

/**
 * aos.v1.TaskService: forwards each unary call, untouched, to the routing
 * service with the caller's tenant and actor; WatchTask streams the task's
 * steps from the log. The PermissionGuard has authenticated and authorized
 * the call before a method here runs.
 */
@Controller()
@TaskServiceControllerMethods()
export class TaskController implements TaskServiceController {
  constructor(
    @Inject(CallContextResolver) private readonly calls: CallContextResolver,
    @Inject(ServiceClient) private readonly services: ServiceClient,
    @Inject(TaskWatchStream) private readonly watch: TaskWatchStream,
  ) {}

  @RequiresPermission('tasks.submit')
  submitTask(request: SubmitTaskRequest, metadata?: Metadata): Promise<Task> {
    return this.forward(RoutingSubjects.submit, request, metadata);
  }

  @RequiresPermission('tasks.get')
  getTask(request: GetTaskRequest, metadata?: Metadata): Promise<Task> {
    return this.forward(RoutingSubjects.get, request, metadata);
  }

  @RequiresPermission('tasks.list')
  listTasks(request: ListTasksRequest, metadata?: Metadata): Promise<ListTasksResponse> {
    return this.forward(RoutingSubjects.list, request, metadata);
  }

  @RequiresPermission('tasks.cancel')
  cancelTask(request: CancelTaskRequest, metadata?: Metadata): Promise<Task> {
    return this.forward(RoutingSubjects.cancel, request, metadata);
  }

  @RequiresPermission('tasks.reassign')
  reassignTask(request: ReassignTaskRequest, metadata?: Metadata): Promise<Task> {
    return this.forward(RoutingSubjects.reassign, request, metadata);
  }

  @RequiresPermission('tasks.watch')
  watchTask(
    request: WatchTaskRequest,
    metadata?: Metadata,
    call?: ServerWritableStream<WatchTaskRequest, TaskStep>,
  ): Observable<TaskStep> {
    return this.watch.open(this.calls.of(metadata).ctx, request, call);
  }

  private forward<TReply>(subject: string, body: unknown, metadata: Metadata | undefined): Promise<TReply> {
    return this.services.request<TReply>(subject, this.calls.of(metadata).ctx, body);
  }
}
