import type { McpServer, Tool } from '@aos/contracts';
import { renderKeyValues, renderTable, type Column } from './table';
import { formatMicros, formatTimestamp } from './values';

const TOOL_COLUMNS: Column<Tool>[] = [
  { header: 'ID', value: (t) => t.id },
  { header: 'NAME', value: (t) => t.name, maxWidth: 40 },
  { header: 'KIND', value: (t) => t.kind },
  { header: 'RISK', value: (t) => t.risk },
  { header: 'STATE', value: (t) => t.state },
  { header: 'PRICE', value: price },
  { header: 'TARGET', value: target, maxWidth: 60 },
];

/** What one call costs in currency units (`0.05`), or `free`. */
function price(tool: Tool): string {
  const micros = Number(tool.priceMicros ?? 0);
  return micros === 0 ? 'free' : formatMicros(micros);
}

/** Where a call goes: `POST https://…` for HTTP tools, `<tool> @ <server url>` for MCP tools. */
function target(tool: Tool): string {
  if (tool.http) return `${tool.http.method} ${tool.http.endpoint}`;
  if (tool.mcp) return `${tool.mcp.toolName} @ ${tool.mcp.serverUrl}`;
  return '';
}

export function renderToolTable(tools: readonly Tool[]): string {
  return tools.length === 0 ? 'No tools found.\n' : renderTable(TOOL_COLUMNS, tools);
}

export function renderTool(tool: Tool): string {
  return renderKeyValues([
    ['ID', tool.id],
    ['NAME', tool.name],
    ['DESCRIPTION', tool.description],
    ['KIND', tool.kind],
    ['RISK', tool.risk],
    ['STATE', tool.state],
    ['PRICE', `${price(tool)}${Number(tool.priceMicros ?? 0) === 0 ? '' : ' per call'}`],
    ['TARGET', target(tool)],
    ...(tool.mcp ? ([['MCP SERVER', tool.mcp.serverId]] as [string, string][]) : []),
    ['INPUT SCHEMA', tool.inputSchemaJson],
    ['TENANT', tool.tenantId],
    ['REVISION', String(tool.revision)],
    ['CREATED BY', tool.createdBy],
    ['CREATED', formatTimestamp(tool.createTime)],
    ['UPDATED', formatTimestamp(tool.updateTime)],
    ['LOG POSITION', String(tool.logPosition)],
  ]);
}

export function renderMcpServer(server: McpServer | undefined, tools: readonly Tool[]): string {
  const header = renderKeyValues([
    ['MCP SERVER', server?.id ?? ''],
    ['URL', server?.url ?? ''],
    ['SERVER', server ? `${server.serverName} ${server.serverVersion}`.trim() : ''],
    ['TOOLS', String(tools.length)],
    ['LOG POSITION', String(server?.logPosition ?? '')],
  ]);
  return `${header}\n${renderToolTable(tools)}`;
}
