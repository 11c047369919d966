import { v5 as uuidv5 } from 'uuid';

/**
 * Ids derived from the caller's request_id, so that a retried registration
 * produces exactly the ids of the first attempt: the same events (dropped as
 * duplicates by the log) aimed at the same stream. The namespaces are fixed
 * forever; changing one would make a retry across an upgrade register twice.
 */
export const TOOL_ID_NAMESPACE = '9e13bf0c-19c3-40b4-9844-7ecf039fe8f7';
/** The command pipeline's event ids (uuidv5 of `<tenant>/<request_id>/<index>`). */
export const TOOL_EVENT_ID_NAMESPACE = '3125d48d-19f3-4e52-befb-83b106fc2fbb';
export const MCP_SERVER_ID_NAMESPACE = '02000f7e-60cb-451c-b57c-fccdadcc3207';

/** The id of the HTTP tool a RegisterTool request registers. */
export function httpToolIdFor(tenantId: string, requestId: string): string {
  return uuidv5(`${tenantId}/${requestId}`, TOOL_ID_NAMESPACE);
}

/** The id of the MCP server a RegisterMcpServer request registers (also its stream's id). */
export function mcpServerIdFor(tenantId: string, requestId: string): string {
  return uuidv5(`${tenantId}/${requestId}`, MCP_SERVER_ID_NAMESPACE);
}

/** The id of one tool discovered on an MCP server, by its name on that server. */
export function mcpToolIdFor(serverId: string, mcpToolName: string): string {
  return uuidv5(`${serverId}/${mcpToolName}`, TOOL_ID_NAMESPACE);
}
