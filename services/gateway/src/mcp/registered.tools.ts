import { randomUUID } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { AccessModel } from '@aos/access-control';
import {
  ResourcesSubjects,
  RuntimeSubjects,
  ToolKind,
  ToolRisk,
  ToolState,
  type DirectToolCallReply,
  type Tool as RegisteredTool,
} from '@aos/contracts';
import type { ServiceClient } from '@aos/messaging';
import { authorize } from '../authz/authorize';
import type { CallContext } from '../call-context.resolver';
import { toolError, toolFailure } from './tool-result';

/**
 * Registered tools appear as `tool_<name>`, always prefixed: a registry name
 * (1-64 of [a-z0-9_-]) can then never collide with a built-in tool, and a
 * tool's MCP name does not change should a built-in of its name be added later.
 */
export const REGISTERED_TOOL_PREFIX = 'tool_';

/** The permission a call of a registered tool needs, on `tools/<id>` (as the runtime checks an agent's call). */
const TOOLS_CALL = 'tools.call';
const LIST_PAGE_SIZE = 1000;
/** 20,000 tools: far beyond what a tenant registers; a bound so that a listing always ends. */
const MAX_LIST_PAGES = 20;
/**
 * The runtime gives a tool 30 s (TOOL_CALL_TIMEOUT_MS) and checks governance
 * and records the call around it; the gateway's default 15 s would give up first.
 */
const DIRECT_CALL_TIMEOUT_MS = 45_000;
const REFUSED_DECISIONS = new Set(['DENIED', 'REJECTED']);

export interface RegisteredToolDeps {
  services: ServiceClient;
  model: AccessModel;
  logger: Logger;
}

/**
 * The caller's granted tools from the tenant's registry. tools/list shows the
 * ENABLED tools the caller may call outright (authorize: "tools.call" on
 * "tools/<id>"; a tool whose rules ask for a person's approval is left out, as
 * an MCP call cannot wait for one). tools/call goes to the runtime
 * (RuntimeSubjects.callTool) with the caller's grant subjects: the runtime
 * decides it under the same governance as an agent's call, runs it with the
 * same executor and records it, refusals included.
 */
export class RegisteredTools {
  constructor(private readonly deps: RegisteredToolDeps) {}

  async list({ caller, ctx }: CallContext): Promise<Tool[]> {
    const listed: Tool[] = [];
    let pageToken = '';
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const reply = await this.deps.services.request(ResourcesSubjects.listTools, ctx, {
        pageSize: LIST_PAGE_SIZE,
        pageToken,
        kind: ToolKind.TOOL_KIND_UNSPECIFIED,
        risk: ToolRisk.TOOL_RISK_UNSPECIFIED,
        state: ToolState.ENABLED,
        serverId: '',
        minPosition: 0,
      });
      for (const tool of reply.tools ?? []) {
        if (authorize(this.deps.model, caller, TOOLS_CALL, `tools/${tool.id}`).allowed) listed.push(mcpToolOf(tool));
      }
      pageToken = reply.nextPageToken ?? '';
      if (!pageToken) break;
    }
    return listed;
  }

  async call({ caller, ctx }: CallContext, mcpName: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const toolName = mcpName.slice(REGISTERED_TOOL_PREFIX.length);
    let reply: DirectToolCallReply;
    try {
      reply = await this.deps.services.request(
        RuntimeSubjects.callTool,
        ctx,
        {
          toolName,
          argumentsJson: JSON.stringify(args),
          // MCP has no idempotency key of its own: every tools/call is a call of its own.
          requestId: randomUUID(),
          grantSubjects: caller.grantSubjects,
        },
        DIRECT_CALL_TIMEOUT_MS,
      );
    } catch (err) {
      return toolFailure(err, this.deps.logger);
    }
    if (REFUSED_DECISIONS.has(reply.decision)) {
      return toolError(
        'PERMISSION_DENIED',
        `${caller.identity.subject} may not call tool ${toolName} (${TOOLS_CALL}, decision ${reply.decision}): ${reply.decisionReason}`,
      );
    }
    if (reply.error) return { content: [{ type: 'text', text: reply.error }], isError: true };
    return { content: [{ type: 'text', text: reply.result }] };
  }
}

function mcpToolOf(tool: RegisteredTool): Tool {
  return {
    name: `${REGISTERED_TOOL_PREFIX}${tool.name}`,
    title: tool.name,
    description: tool.description,
    inputSchema: inputSchemaOf(tool.inputSchemaJson),
    annotations: {
      title: tool.name,
      readOnlyHint: tool.risk === ToolRisk.READ,
      destructiveHint: tool.risk === ToolRisk.DESTRUCTIVE,
      openWorldHint: true,
    },
  };
}

/**
 * The registry keeps only object schemas (checked at registration); empty
 * means no input. Anything else would make the whole tools/list unreadable to
 * a client, so it becomes "any object" rather than failing the listing.
 */
function inputSchemaOf(json: string): Tool['inputSchema'] {
  try {
    const schema = JSON.parse(json || '{}') as Partial<Tool['inputSchema']> | null;
    if (schema?.type === 'object') return schema as Tool['inputSchema'];
  } catch {
    // Falls through to "any object".
  }
  return { type: 'object' };
}
