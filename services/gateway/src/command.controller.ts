import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import {
  CommandServiceControllerMethods,
  CommandSubjects,
  type CommandServiceController,
  type ExecuteRequest,
  type Execution,
  type GetPlanRequest,
  type InterpretRequest,
  type Plan,
} from '@aos/contracts';
import { RequiresPermission } from './authz/permission.registry';
import { ServiceForwarder } from './service-forwarder';

/**
 * aos.v1.CommandService: forwards each call, untouched, to the commands
 * service with the caller's tenant and actor. The PermissionGuard checks only
 * the command permission here (on the tenant, `*`); the commands service checks
 * every step of a plan against the step's own permission, at Interpret (a dry
 * run) and again as each step runs, because a plan names its resources only
 * once it has been interpreted.
 */
@Controller()
@CommandServiceControllerMethods()
export class CommandController implements CommandServiceController {
  constructor(@Inject(ServiceForwarder) private readonly services: ServiceForwarder) {}

  @RequiresPermission('commands.interpret')
  interpret(request: InterpretRequest, metadata?: Metadata): Promise<Plan> {
    return this.services.forward(CommandSubjects.interpret, request, metadata);
  }

  @RequiresPermission('commands.execute')
  execute(request: ExecuteRequest, metadata?: Metadata): Promise<Execution> {
    return this.services.forward(CommandSubjects.execute, request, metadata);
  }

  // Reading a plan back needs no more than making one: a plan is only ever its asker's own.
  @RequiresPermission('commands.interpret')
  getPlan(request: GetPlanRequest, metadata?: Metadata): Promise<Plan> {
    return this.services.forward(CommandSubjects.getPlan, request, metadata);
  }
}
