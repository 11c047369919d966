import type { McpServerRegistered, ToolEvent, ToolRegistered } from '@aos/domain';
import { assertNever, AlreadyExistsError, FailedPreconditionError, NotFoundError } from '@aos/errors';

/**
 * One `tool-*` stream as a pure decider. A stream holds one HTTP tool, or one
 * MCP server and every tool discovered on it: registering a server is then a
 * single event, recorded whole or not at all. Ids and the acting principal
 * arrive in the command; the time of a change is the time its event is recorded.
 * Name uniqueness spans streams, so the handler checks it, not this decider.
 */

export type ToolStatus = 'ENABLED' | 'DISABLED';

export interface ToolEntry {
  definition: ToolRegistered;
  status: ToolStatus;
  /** Why it was disabled; empty while enabled. */
  disabledReason: string;
}

export type ToolStreamState =
  | { status: 'NONE' }
  | {
      status: 'REGISTERED';
      /** Null for the stream of an HTTP tool. */
      server: McpServerRegistered | null;
      tools: ReadonlyMap<string, ToolEntry>;
    };

export const initialToolStreamState: ToolStreamState = { status: 'NONE' };

/**
 * The largest McpServerRegistered, JSON-encoded. NATS refuses messages over
 * 1 MiB by default, and both the event and the RegisterMcpServer reply (the
 * same tools plus a few hundred bytes each) must stay under it.
 */
export const MAX_MCP_SERVER_EVENT_BYTES = 768 * 1024;

export type RegisterHttpTool = { type: 'RegisterHttpTool'; tool: ToolRegistered };
export type RegisterMcpServer = { type: 'RegisterMcpServer'; server: McpServerRegistered };
export type DisableTool = { type: 'DisableTool'; toolId: string; reason: string };
export type ToolCommand = RegisterHttpTool | RegisterMcpServer | DisableTool;

/** Returns the events a command causes; throws the typed error that says why it may not happen. */
export function decide(command: ToolCommand, state: ToolStreamState): ToolEvent[] {
  switch (command.type) {
    case 'RegisterHttpTool':
      if (state.status !== 'NONE') throw new AlreadyExistsError('tool', 'id', command.tool.toolId);
      return [{ type: 'ToolRegistered', data: command.tool }];
    case 'RegisterMcpServer': {
      if (state.status !== 'NONE') throw new AlreadyExistsError('mcp server', 'id', command.server.serverId);
      const bytes = Buffer.byteLength(JSON.stringify(command.server), 'utf8');
      if (bytes > MAX_MCP_SERVER_EVENT_BYTES) {
        throw new FailedPreconditionError(
          `the MCP server at ${command.server.url} lists ${command.server.tools.length} tools taking ${bytes} bytes; at most ${MAX_MCP_SERVER_EVENT_BYTES} can be registered at once (shorter input schemas and descriptions, or fewer tools)`,
        );
      }
      return [{ type: 'McpServerRegistered', data: command.server }];
    }
    case 'DisableTool': {
      const tool = state.status === 'NONE' ? undefined : state.tools.get(command.toolId);
      if (!tool) throw new NotFoundError('tool', command.toolId);
      if (tool.status === 'DISABLED') throw new FailedPreconditionError(`tool ${command.toolId} is already DISABLED`);
      return [{ type: 'ToolDisabled', data: { toolId: command.toolId, reason: command.reason } }];
    }
    default:
      return assertNever(command);
  }
}

export function evolve(state: ToolStreamState, event: ToolEvent): ToolStreamState {
  switch (event.type) {
    case 'McpServerRegistered': {
      if (state.status !== 'NONE')
        throw new Error(`McpServerRegistered ${event.data.serverId} in a stream that exists`);
      const tools = new Map<string, ToolEntry>();
      for (const tool of event.data.tools) {
        if (tools.has(tool.toolId)) throw new Error(`McpServerRegistered lists tool ${tool.toolId} twice`);
        tools.set(tool.toolId, { definition: tool, status: 'ENABLED', disabledReason: '' });
      }
      return { status: 'REGISTERED', server: event.data, tools };
    }
    case 'ToolRegistered':
      // Only an HTTP tool has a ToolRegistered, as the first event of its own stream.
      if (state.status !== 'NONE') throw new Error(`ToolRegistered ${event.data.toolId} in a stream that exists`);
      return {
        status: 'REGISTERED',
        server: null,
        tools: new Map([[event.data.toolId, { definition: event.data, status: 'ENABLED', disabledReason: '' }]]),
      };
    case 'ToolDisabled': {
      // Such a stream cannot be applied; the projection refuses it rather than invent a tool.
      const tool = state.status === 'NONE' ? undefined : state.tools.get(event.data.toolId);
      if (state.status === 'NONE' || !tool) throw new Error(`ToolDisabled for unknown tool ${event.data.toolId}`);
      const tools = new Map(state.tools);
      tools.set(event.data.toolId, { ...tool, status: 'DISABLED', disabledReason: event.data.reason });
      return { ...state, tools };
    }
    default:
      return assertNever(event);
  }
}
