import type {
  DisableToolRequest,
  GetToolRequest,
  ListToolsRequest,
  ListToolsResponse,
  RegisterMcpServerRequest,
  RegisterMcpServerResponse,
  RegisterToolRequest,
  Tool,
} from '@aos/contracts';
import type { CallInvoker, UnaryMethod } from './call-invoker';
import { loadServiceDefinition } from './proto-definition';

/** aos.v1.ToolService: the tenant's tool registry (HTTP tools and MCP servers). */
export interface ToolsClient {
  registerTool: UnaryMethod<RegisterToolRequest, Tool>;
  /** The gateway's resources service connects to the MCP server while this call runs. */
  registerMcpServer: UnaryMethod<RegisterMcpServerRequest, RegisterMcpServerResponse>;
  getTool: UnaryMethod<GetToolRequest, Tool>;
  listTools: UnaryMethod<ListToolsRequest, ListToolsResponse>;
  disableTool: UnaryMethod<DisableToolRequest, Tool>;
}

export function createToolsClient(invoker: CallInvoker): ToolsClient {
  const service = loadServiceDefinition('ToolService');
  return {
    registerTool: invoker.unary(service.RegisterTool),
    registerMcpServer: invoker.unary(service.RegisterMcpServer),
    getTool: invoker.unary(service.GetTool),
    listTools: invoker.unary(service.ListTools),
    disableTool: invoker.unary(service.DisableTool),
  };
}
