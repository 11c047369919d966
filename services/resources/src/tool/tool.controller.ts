import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  ResourcesSubjects,
  type DisableToolRequest,
  type GetToolRequest,
  type ListToolsRequest,
  type ListToolsResponse,
  type RegisterMcpServerRequest,
  type RegisterMcpServerResponse,
  type RegisterToolRequest,
  type Tool,
} from '@aos/contracts';
import { type ServiceRequest, Receives } from '@aos/messaging';
import { ToolHandler } from './tool.handler';
import {
  validateContext,
  validateDisableTool,
  validateGetTool,
  validateListTools,
  validateRegisterMcpServer,
  validateRegisterTool,
} from './tool.validation';

/**
 * The NATS face of ToolService: one subject per gRPC method, the ts-proto
 * request as body, the ts-proto response as reply. It validates and forwards;
 * the handler does the work and RpcErrorFilter turns its errors into WireErrors.
 */
@Controller()
export class ToolController {
  constructor(@Inject(ToolHandler) private readonly tools: ToolHandler) {}

  @Receives(ResourcesSubjects.registerTool)
  async registerTool(@Payload() request: ServiceRequest<RegisterToolRequest>): Promise<Tool> {
    return this.tools.registerTool(validateContext(request?.ctx), validateRegisterTool(request?.body));
  }

  @Receives(ResourcesSubjects.registerMcpServer)
  async registerMcpServer(
    @Payload() request: ServiceRequest<RegisterMcpServerRequest>,
  ): Promise<RegisterMcpServerResponse> {
    return this.tools.registerMcpServer(validateContext(request?.ctx), validateRegisterMcpServer(request?.body));
  }

  @Receives(ResourcesSubjects.getTool)
  async getTool(@Payload() request: ServiceRequest<GetToolRequest>): Promise<Tool> {
    return this.tools.get(validateContext(request?.ctx), validateGetTool(request?.body));
  }

  @Receives(ResourcesSubjects.listTools)
  async listTools(@Payload() request: ServiceRequest<ListToolsRequest>): Promise<ListToolsResponse> {
    return this.tools.list(validateContext(request?.ctx), validateListTools(request?.body));
  }

  @Receives(ResourcesSubjects.disableTool)
  async disableTool(@Payload() request: ServiceRequest<DisableToolRequest>): Promise<Tool> {
    return this.tools.disable(validateContext(request?.ctx), validateDisableTool(request?.body));
  }
}
