import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  RoutingSubjects,
  type AwaitApprovalBody,
  type CancelTaskRequest,
  type FinishRunBody,
  type ReleaseRunBody,
  type GetTaskRequest,
  type ListTasksRequest,
  type ListTasksResponse,
  type ReassignTaskRequest,
  type RenewLeasesBody,
  type RenewLeasesReply,
  type ResolveApprovalBody,
  type RunTransitionReply,
  type StartRunBody,
  type StartRunReply,
  type SubmitTaskRequest,
  type Task,
} from '@aos/contracts';
import type { ServiceRequest } from '@aos/messaging';
import { TaskHandler } from './task.handler';
import {
  validateAwaitApproval,
  validateCancelTask,
  validateContext,
  validateFinishRun,
  validateReleaseRun,
  validateGetTask,
  validateListTasks,
  validateReassignTask,
  validateRenewLeases,
  validateResolveApproval,
  validateStartRun,
  validateSubmitTask,
} from './task.validation';

/**
 * The NATS face of TaskService (one subject per gRPC method, the ts-proto
 * request as body) and of the internal run protocol (run-protocol.ts). It
 * validates and forwards; the handler does the work and RpcErrorFilter turns
 * its errors into WireErrors.
 */
@Controller()
export class TaskController {
  constructor(@Inject(TaskHandler) private readonly tasks: TaskHandler) {}

  @MessagePattern(RoutingSubjects.submit)
  submit(@Payload() request: ServiceRequest<SubmitTaskRequest>): Promise<Task> {
    return this.tasks.submit(validateContext(request?.ctx), validateSubmitTask(request?.body));
  }

  @MessagePattern(RoutingSubjects.get)
  get(@Payload() request: ServiceRequest<GetTaskRequest>): Promise<Task> {
    return this.tasks.get(validateContext(request?.ctx), validateGetTask(request?.body));
  }

  @MessagePattern(RoutingSubjects.list)
  list(@Payload() request: ServiceRequest<ListTasksRequest>): Promise<ListTasksResponse> {
    return this.tasks.list(validateContext(request?.ctx), validateListTasks(request?.body));
  }

  @MessagePattern(RoutingSubjects.cancel)
  cancel(@Payload() request: ServiceRequest<CancelTaskRequest>): Promise<Task> {
    return this.tasks.cancel(validateContext(request?.ctx), validateCancelTask(request?.body));
  }

  @MessagePattern(RoutingSubjects.reassign)
  reassign(@Payload() request: ServiceRequest<ReassignTaskRequest>): Promise<Task> {
    return this.tasks.reassign(validateContext(request?.ctx), validateReassignTask(request?.body));
  }

  @MessagePattern(RoutingSubjects.startRun)
  startRun(@Payload() request: ServiceRequest<StartRunBody>): Promise<StartRunReply> {
    return this.tasks.startRun(validateContext(request?.ctx), validateStartRun(request?.body));
  }

  @MessagePattern(RoutingSubjects.renewLeases)
  renewLeases(@Payload() request: ServiceRequest<RenewLeasesBody>): RenewLeasesReply {
    validateContext(request?.ctx);
    return this.tasks.renewLeases(validateRenewLeases(request?.body));
  }

  @MessagePattern(RoutingSubjects.awaitApproval)
  awaitApproval(@Payload() request: ServiceRequest<AwaitApprovalBody>): Promise<RunTransitionReply> {
    return this.tasks.awaitApproval(validateContext(request?.ctx), validateAwaitApproval(request?.body));
  }

  @MessagePattern(RoutingSubjects.resolveApproval)
  resolveApproval(@Payload() request: ServiceRequest<ResolveApprovalBody>): Promise<RunTransitionReply> {
    return this.tasks.resolveApproval(validateContext(request?.ctx), validateResolveApproval(request?.body));
  }

  @MessagePattern(RoutingSubjects.finishRun)
  finishRun(@Payload() request: ServiceRequest<FinishRunBody>): Promise<RunTransitionReply> {
    return this.tasks.finishRun(validateContext(request?.ctx), validateFinishRun(request?.body));
  }

  @MessagePattern(RoutingSubjects.releaseRun)
  releaseRun(@Payload() request: ServiceRequest<ReleaseRunBody>): Promise<RunTransitionReply> {
    return this.tasks.releaseRun(validateContext(request?.ctx), validateReleaseRun(request?.body));
  }
}
