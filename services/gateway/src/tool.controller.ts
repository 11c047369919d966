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
import { ServiceClient } from '@aos/messaging';
import { RequiresPermission } from './authz/permission.registry';
import { CallContextResolver } from './call-context.resolver';

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
    @Inject(ServiceClient) private readonly services: ServiceClient,
  ) {}

  @RequiresPermission('tools.register')
  registerTool(request: RegisterToolRequest, metadata?: Metadata): Promise<Tool> {
    return this.forward(ResourcesSubjects.registerTool, request, metadata);
  }

  @RequiresPermission('tools.register')
  registerMcpServer(request: RegisterMcpServerRequest, metadata?: Metadata): Promise<RegisterMcpServerResponse> {
    return this.forward(ResourcesSubjects.registerMcpServer, request, metadata);
  }

  @RequiresPermission('tools.get')
  getTool(request: GetToolRequest, metadata?: Metadata): Promise<Tool> {
    return this.forward(ResourcesSubjects.getTool, request, metadata);
  }

  @RequiresPermission('tools.list')
  listTools(request: ListToolsRequest, metadata?: Metadata): Promise<ListToolsResponse> {
    return this.forward(ResourcesSubjects.listTools, request, metadata);
  }

  @RequiresPermission('tools.disable')
  disableTool(request: DisableToolRequest, metadata?: Metadata): Promise<Tool> {
    return this.forward(ResourcesSubjects.disableTool, request, metadata);
  }

  private forward<TReply>(subject: string, body: unknown, metadata: Metadata | undefined): Promise<TReply> {
    return this.services.request<TReply>(subject, this.calls.of(metadata).ctx, body);
  }
}
