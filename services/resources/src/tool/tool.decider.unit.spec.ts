import { describe, expect, it } from 'vitest';
import type { McpServerRegistered, ToolEvent, ToolRegistered } from '@aos/contracts';
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '@aos/errors';
import { decide, evolve, initialToolStreamState, type ToolCommand, type ToolStreamState } from './tool.decider';

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
const server: McpServerRegistered = {
  serverId: 's1',
  url: 'http://127.0.0.1:9/mcp',
  serverName: 'demo',
  serverVersion: '1.0.0',
  toolIds: ['t-a', 't-b'],
  createdBy: 'alice',
};
const mcpTool = (toolId: string, toolName: string): ToolRegistered => ({
  ...httpTool,
  toolId,
  name: toolName,
  kind: 'MCP',
  http: null,
  mcp: { serverId: 's1', serverUrl: server.url, toolName },
});

const httpRegistered: ToolEvent = { type: 'ToolRegistered', data: httpTool };
const mcpRegistered: ToolEvent[] = [
  { type: 'McpServerRegistered', data: server },
  { type: 'ToolRegistered', data: mcpTool('t-a', 'a') },
  { type: 'ToolRegistered', data: mcpTool('t-b', 'b') },
];

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
    expect(() => when(mcpRegistered, { type: 'RegisterMcpServer', server, tools: [] })).toThrow(AlreadyExistsError);
  });

  it('registers an MCP server and its tools in one decision, the server first', () => {
    const events = when([], {
      type: 'RegisterMcpServer',
      server,
      tools: [mcpTool('t-a', 'a'), mcpTool('t-b', 'b')],
    });
    expect(events).toEqual(mcpRegistered);
    const state = given(events);
    expect(state.status === 'REGISTERED' && [...state.tools.keys()]).toEqual(['t-a', 't-b']);
    expect(state.status === 'REGISTERED' && state.server?.serverId).toBe('s1');
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

  it('a second McpServerRegistered, or the same tool twice', () => {
    expect(() => given([...mcpRegistered, mcpRegistered[0]!])).toThrow(/exists/);
    expect(() => given([httpRegistered, httpRegistered])).toThrow(/twice/);
  });
});
