import { z } from 'zod';
import { assertNever } from '@aos/errors';
import { eventFamily, type EventOf } from './event-family';

/**
 * Tool registry events: the published language of the `tool-*` streams owned by
 * the resources service. A stream holds either one HTTP tool
 * (`tool-<toolId>`: ToolRegistered, ToolDisabled) or one MCP server and the
 * tools discovered on it (`tool-<serverId>`: one McpServerRegistered carrying
 * every tool, later ToolDisabled for any of them). A server and its tools are
 * one event because an append of several events is not atomic on every log
 * (JetStream before 2.10 writes them one by one): a registration cut short
 * must not leave a server with half its tools, or names taken by nothing.
 */
export const TOOL_CATEGORY = 'tool';
export const TOOL_EVENTS_SCHEMA_VERSION = 1;

export const ToolKindSchema = z.enum(['HTTP', 'MCP']);
export const ToolRiskSchema = z.enum(['READ', 'WRITE', 'DESTRUCTIVE']);
export const HttpMethodSchema = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
export type ToolKindName = z.infer<typeof ToolKindSchema>;
export type ToolRiskName = z.infer<typeof ToolRiskSchema>;
export type HttpMethodName = z.infer<typeof HttpMethodSchema>;

export const ToolRegisteredSchema = z.object({
  toolId: z.string(),
  name: z.string(),
  description: z.string(),
  kind: ToolKindSchema,
  risk: ToolRiskSchema,
  /** Set for HTTP tools. */
  http: z.object({ endpoint: z.string(), method: HttpMethodSchema }).nullable(),
  /** Set for MCP tools. */
  mcp: z.object({ serverId: z.string(), serverUrl: z.string(), toolName: z.string() }).nullable(),
  /** The input's JSON Schema, as text (validated when registered). */
  inputSchemaJson: z.string(),
  createdBy: z.string(),
  /**
   * What one call costs in micro-units of the budgets' currency (HTTP tools).
   * Absent is 0 (free): MCP tools, and every tool registered before prices.
   */
  priceMicros: z.number().int().nonnegative().optional(),
});

/** The price of one call of the tool in micro-units; 0 when free (absent in the event). */
export function toolPriceOf(tool: Pick<ToolRegistered, 'priceMicros'>): number {
  return tool.priceMicros ?? 0;
}

export const ToolDisabledSchema = z.object({ toolId: z.string(), reason: z.string() });

export const McpServerRegisteredSchema = z.object({
  serverId: z.string(),
  url: z.string(),
  serverName: z.string(),
  serverVersion: z.string(),
  /** Every tool discovered on the server, in the order it listed them (kind MCP). */
  tools: z.array(ToolRegisteredSchema),
  createdBy: z.string(),
});

export const ToolEventSchemas = {
  ToolRegistered: ToolRegisteredSchema,
  ToolDisabled: ToolDisabledSchema,
  McpServerRegistered: McpServerRegisteredSchema,
} as const;

export type ToolRegistered = z.infer<typeof ToolRegisteredSchema>;
export type McpServerRegistered = z.infer<typeof McpServerRegisteredSchema>;

const toolEvents = eventFamily(ToolEventSchemas);
/** A domain event of the family: `type` plus its data, without the envelope. */
export type ToolEvent = EventOf<typeof ToolEventSchemas>;
export type ToolEventType = ToolEvent['type'];
export const TOOL_EVENT_TYPES: readonly ToolEventType[] = toolEvents.types;
export const isToolEventType = toolEvents.is;
/** Validates an event read from the log; undefined for a type this version does not know; throws a ZodError on bad data. */
export const parseToolEvent = toolEvents.parse;

/** A tool as every follower of the tool-* streams sees it: its definition and whether it is enabled. */
export interface ToolView {
  definition: ToolRegistered;
  enabled: boolean;
}

/** The tools an event registers or changes, as they are after it. */
export function evolveTools(tools: ReadonlyMap<string, ToolView>, event: ToolEvent): ToolView[] {
  switch (event.type) {
    case 'ToolRegistered':
      return [{ definition: event.data, enabled: true }];
    case 'McpServerRegistered':
      return event.data.tools.map((definition) => ({ definition, enabled: true }));
    case 'ToolDisabled': {
      const tool = tools.get(event.data.toolId);
      return tool ? [{ ...tool, enabled: false }] : [];
    }
    default:
      return assertNever(event);
  }
}
