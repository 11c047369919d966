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
import { RequiresPermission } from './authz/permission.registry';
import { CallContextResolver } from './call-context.resolver';
import { ServiceForwarder } from './service-forwarder';
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
    @Inject(ServiceForwarder) private readonly services: ServiceForwarder,
    @Inject(TaskWatchStream) private readonly watch: TaskWatchStream,
  ) {}

  @RequiresPermission('tasks.submit')
  submitTask(request: SubmitTaskRequest, metadata?: Metadata): Promise<Task> {
    return this.services.forward(RoutingSubjects.submit, request, metadata);
  }

  @RequiresPermission('tasks.get')
  getTask(request: GetTaskRequest, metadata?: Metadata): Promise<Task> {
    return this.services.forward(RoutingSubjects.get, request, metadata);
  }

  @RequiresPermission('tasks.list')
  listTasks(request: ListTasksRequest, metadata?: Metadata): Promise<ListTasksResponse> {
    return this.services.forward(RoutingSubjects.list, request, metadata);
  }

  @RequiresPermission('tasks.cancel')
  cancelTask(request: CancelTaskRequest, metadata?: Metadata): Promise<Task> {
    return this.services.forward(RoutingSubjects.cancel, request, metadata);
  }

  @RequiresPermission('tasks.reassign')
  reassignTask(request: ReassignTaskRequest, metadata?: Metadata): Promise<Task> {
    return this.services.forward(RoutingSubjects.reassign, request, metadata);
  }

  @RequiresPermission('tasks.watch')
  watchTask(
    request: WatchTaskRequest,
    metadata?: Metadata,
    call?: ServerWritableStream<WatchTaskRequest, TaskStep>,
  ): Observable<TaskStep> {
    return this.watch.open(this.calls.of(metadata).ctx, request, call);
  }
}
