import { describe, expect, it } from 'vitest';
import type { McpServerRegistered, ToolEvent, ToolRegistered } from '@aos/contracts';
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '@aos/errors';
import {
  decide,
  evolve,
  initialToolStreamState,
  MAX_MCP_SERVER_EVENT_BYTES,
  type ToolCommand,
  type ToolStreamState,
} from './tool.decider';

const httpTool: ToolRegistered = {
  toolId: 't-http',
  name: 'weather',
  description: 'Current weather',
  kind: 'HTTP',
  risk: 'READ',
  http: { endpoint: 'https://api.example.com/weather', method: 'GET' },
  mcp: null,
  inputSchemaJson: '{"type":"object"}',
  createdBy: 'alice',
};
const SERVER_URL = 'http://127.0.0.1:9/mcp';
const mcpTool = (toolId: string, toolName: string): ToolRegistered => ({
  ...httpTool,
  toolId,
  name: toolName,
  kind: 'MCP',
  http: null,
  mcp: { serverId: 's1', serverUrl: SERVER_URL, toolName },
});
const server: McpServerRegistered = {
  serverId: 's1',
  url: SERVER_URL,
  serverName: 'demo',
  serverVersion: '1.0.0',
  tools: [mcpTool('t-a', 'a'), mcpTool('t-b', 'b')],
  createdBy: 'alice',
};

const httpRegistered: ToolEvent = { type: 'ToolRegistered', data: httpTool };
const mcpRegistered: ToolEvent[] = [{ type: 'McpServerRegistered', data: server }];

function given(events: ToolEvent[]): ToolStreamState {
  return events.reduce(evolve, initialToolStreamState);
}

function when(events: ToolEvent[], command: ToolCommand): ToolEvent[] {
  return decide(command, given(events));
}

describe('Tool decider: register', () => {
  it('registers an HTTP tool, ENABLED', () => {
    const events = when([], { type: 'RegisterHttpTool', tool: httpTool });
    expect(events).toEqual([httpRegistered]);
    const state = given(events);
    expect(state.status === 'REGISTERED' && state.tools.get('t-http')?.status).toBe('ENABLED');
  });

  it('refuses to register into a stream that exists', () => {
    expect(() => when([httpRegistered], { type: 'RegisterHttpTool', tool: httpTool })).toThrow(AlreadyExistsError);
    expect(() => when(mcpRegistered, { type: 'RegisterMcpServer', server })).toThrow(AlreadyExistsError);
  });

  it('registers an MCP server and all its tools in one event', () => {
    const events = when([], { type: 'RegisterMcpServer', server });
    expect(events).toEqual(mcpRegistered);
    const state = given(events);
    expect(state.status === 'REGISTERED' && [...state.tools.keys()]).toEqual(['t-a', 't-b']);
    expect(state.status === 'REGISTERED' && state.server?.serverId).toBe('s1');
  });

  it('refuses, naming the URL, a server whose event would exceed the size cap', () => {
    const big = (i: number) => ({ ...mcpTool(`t-${i}`, `n${i}`), inputSchemaJson: 'x'.repeat(60_000) });
    const tools = Array.from({ length: Math.ceil(MAX_MCP_SERVER_EVENT_BYTES / 60_000) + 1 }, (_, i) => big(i));
    const decided = () => when([], { type: 'RegisterMcpServer', server: { ...server, tools } });
    expect(decided).toThrow(FailedPreconditionError);
    expect(decided).toThrow(SERVER_URL);
  });
});

describe('Tool decider: disable', () => {
  it('disables an enabled tool with its reason', () => {
    const events = when([httpRegistered], { type: 'DisableTool', toolId: 't-http', reason: 'deprecated' });
    expect(events).toEqual([{ type: 'ToolDisabled', data: { toolId: 't-http', reason: 'deprecated' } }]);
    const state = given([httpRegistered, ...events]);
    expect(state.status === 'REGISTERED' && state.tools.get('t-http')).toMatchObject({
      status: 'DISABLED',
      disabledReason: 'deprecated',
    });
  });

  it('disables one MCP tool and leaves the others of its server enabled', () => {
    const events = when(mcpRegistered, { type: 'DisableTool', toolId: 't-b', reason: '' });
    const state = given([...mcpRegistered, ...events]);
    expect(state.status === 'REGISTERED' && state.tools.get('t-a')?.status).toBe('ENABLED');
    expect(state.status === 'REGISTERED' && state.tools.get('t-b')?.status).toBe('DISABLED');
  });

  it('refuses to disable a disabled tool', () => {
    const disabled: ToolEvent = { type: 'ToolDisabled', data: { toolId: 't-http', reason: '' } };
    expect(() => when([httpRegistered, disabled], { type: 'DisableTool', toolId: 't-http', reason: '' })).toThrow(
      FailedPreconditionError,
    );
  });

  it('answers NOT_FOUND for a tool the stream does not hold', () => {
    expect(() => when([], { type: 'DisableTool', toolId: 't-http', reason: '' })).toThrow(NotFoundError);
    expect(() => when(mcpRegistered, { type: 'DisableTool', toolId: 't-http', reason: '' })).toThrow(NotFoundError);
  });
});

describe('Tool decider: evolve refuses impossible streams', () => {
  it('a ToolDisabled before the tool exists', () => {
    expect(() => given([{ type: 'ToolDisabled', data: { toolId: 'x', reason: '' } }])).toThrow(/unknown tool/);
  });

  it('a second McpServerRegistered, a second ToolRegistered, or one server listing a tool twice', () => {
    expect(() => given([...mcpRegistered, mcpRegistered[0]!])).toThrow(/exists/);
    expect(() => given([httpRegistered, httpRegistered])).toThrow(/exists/);
    const twice = { ...server, tools: [mcpTool('t-a', 'a'), mcpTool('t-a', 'a')] };
    expect(() => given([{ type: 'McpServerRegistered', data: twice }])).toThrow(/twice/);
  });
});
