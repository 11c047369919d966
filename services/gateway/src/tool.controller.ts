import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import {
  ResourcesSubjects,
  ToolServiceControllerMethods,
  type DisableToolRequest,
  type GetToolRequest,
  type ListToolsRequest,
  type ListToolsResponse,
  type RegisterMcpServerRequest,
  type RegisterMcpServerResponse,
  type RegisterToolRequest,
  type Tool,
  type ToolServiceController,
} from '@aos/contracts';
import { RequiresPermission } from './authz/permission.registry';
import { CallContextResolver } from './call-context.resolver';
import { ServiceForwarder } from './service-forwarder';

/**
 * aos.v1.ToolService: forwards each call, untouched, to the resources service
 * with the caller's tenant and actor. The PermissionGuard has authenticated and
 * authorized the call before a method here runs.
 */
@Controller()
@ToolServiceControllerMethods()
export class ToolController implements ToolServiceController {
  constructor(
    @Inject(CallContextResolver) private readonly calls: CallContextResolver,
    @Inject(ServiceForwarder) private readonly services: ServiceForwarder,
  ) {}

  @RequiresPermission('tools.register')
  registerTool(request: RegisterToolRequest, metadata?: Metadata): Promise<Tool> {
    return this.services.forward(ResourcesSubjects.registerTool, request, metadata);
  }

  @RequiresPermission('tools.register')
  registerMcpServer(request: RegisterMcpServerRequest, metadata?: Metadata): Promise<RegisterMcpServerResponse> {
    return this.services.forward(ResourcesSubjects.registerMcpServer, request, metadata);
  }

  @RequiresPermission('tools.get')
  getTool(request: GetToolRequest, metadata?: Metadata): Promise<Tool> {
    return this.services.forward(ResourcesSubjects.getTool, request, metadata);
  }

  @RequiresPermission('tools.list')
  listTools(request: ListToolsRequest, metadata?: Metadata): Promise<ListToolsResponse> {
    return this.services.forward(ResourcesSubjects.listTools, request, metadata);
  }

  @RequiresPermission('tools.disable')
  disableTool(request: DisableToolRequest, metadata?: Metadata): Promise<Tool> {
    return this.services.forward(ResourcesSubjects.disableTool, request, metadata);
  }
}
