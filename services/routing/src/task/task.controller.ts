import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  ClaimRunBodySchema,
  ReleaseRunBodySchema,
  RenewLeasesBodySchema,
  RoutingSubjects,
  type CancelTaskRequest,
  type ClaimRunReply,
  type GetTaskRequest,
  type ListTasksRequest,
  type ListTasksResponse,
  type ReassignTaskRequest,
  type ReleaseRunReply,
  type RenewLeasesReply,
  type SubmitTaskRequest,
  type Task,
} from '@aos/contracts';
import { parseBody, type ServiceRequest, Receives } from '@aos/messaging';
import { RunClaims } from './run.claims';
import { TaskHandler } from './task.handler';
import {
  validateCancelTask,
  validateContext,
  validateGetTask,
  validateListTasks,
  validateReassignTask,
  validateSubmitTask,
} from './task.validation';

/**
 * The NATS face of TaskService (one subject per gRPC method, the ts-proto
 * request as body) and of the run-claim protocol (run-protocol.ts, bodies
 * checked against their schemas). It validates and forwards; the handlers do
 * the work and RpcErrorFilter turns their errors into WireErrors.
 */
@Controller()
export class TaskController {
  constructor(
    @Inject(TaskHandler) private readonly tasks: TaskHandler,
    @Inject(RunClaims) private readonly claims: RunClaims,
  ) {}

  @Receives(RoutingSubjects.submit)
  submit(@Payload() request: ServiceRequest<SubmitTaskRequest>): Promise<Task> {
    return this.tasks.submit(validateContext(request?.ctx), validateSubmitTask(request?.body));
  }

  @Receives(RoutingSubjects.get)
  get(@Payload() request: ServiceRequest<GetTaskRequest>): Promise<Task> {
    return this.tasks.get(validateContext(request?.ctx), validateGetTask(request?.body));
  }

  @Receives(RoutingSubjects.list)
  list(@Payload() request: ServiceRequest<ListTasksRequest>): Promise<ListTasksResponse> {
    return this.tasks.list(validateContext(request?.ctx), validateListTasks(request?.body));
  }

  @Receives(RoutingSubjects.cancel)
  cancel(@Payload() request: ServiceRequest<CancelTaskRequest>): Promise<Task> {
    return this.tasks.cancel(validateContext(request?.ctx), validateCancelTask(request?.body));
  }

  @Receives(RoutingSubjects.reassign)
  reassign(@Payload() request: ServiceRequest<ReassignTaskRequest>): Promise<Task> {
    return this.tasks.reassign(validateContext(request?.ctx), validateReassignTask(request?.body));
  }

  @Receives(RoutingSubjects.claimRun)
  claimRun(@Payload() request: ServiceRequest<unknown>): Promise<ClaimRunReply> {
    return this.claims.claim(validateContext(request?.ctx), parseBody(ClaimRunBodySchema, request?.body));
  }

  @Receives(RoutingSubjects.renewLeases)
  renewLeases(@Payload() request: ServiceRequest<unknown>): Promise<RenewLeasesReply> {
    validateContext(request?.ctx);
    return this.claims.renew(parseBody(RenewLeasesBodySchema, request?.body));
  }

  @Receives(RoutingSubjects.releaseRun)
  releaseRun(@Payload() request: ServiceRequest<unknown>): Promise<ReleaseRunReply> {
    return this.claims.release(validateContext(request?.ctx), parseBody(ReleaseRunBodySchema, request?.body));
  }
}
