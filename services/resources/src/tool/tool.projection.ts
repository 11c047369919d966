import {
  parseToolEvent,
  toTimestamp,
  ToolKind,
  ToolRisk,
  ToolState,
  toolPriceOf,
  type McpServer,
  type McpServerRegistered,
  type Tool,
} from '@aos/contracts';
import { applyRecorded, parseRecorded, type RecordedEvent } from '@aos/event-store';
import { evolve, initialToolStreamState, type ToolEntry, type ToolStreamState } from './tool.decider';
import type { ToolFilter } from './tool.validation';

/** A `tool-*` stream as the write model needs it: its state and revision. */
export interface ToolStreamRecord {
  state: ToolStreamState;
  revision: number;
}

export interface ToolRecord {
  tenantId: string;
  streamId: string;
  entry: ToolEntry;
  /** Position of the tool's newest event. */
  logPosition: number;
  /**
   * 1-based place among the tenant's tools in registration order: the list
   * order and the page token. Not the log position, which all tools of one
   * MCP server share; replaying the log in order gives every instance the same.
   */
  createSeq: number;
  createTime: string;
  updateTime: string;
}

export interface McpServerRecord {
  tenantId: string;
  server: McpServerRegistered;
  /** Position of its McpServerRegistered. */
  logPosition: number;
  createTime: string;
}

export interface ToolPage {
  records: ToolRecord[];
  totalSize: number;
  /** The createSeq of the page's last tool when more follow. */
  nextAfterSeq: number | undefined;
}

class TenantTools {
  readonly streams = new Map<string, ToolStreamRecord>();
  readonly tools = new Map<string, ToolRecord>();
  readonly idByName = new Map<string, string>();
  readonly servers = new Map<string, McpServerRecord>();
  readonly creationOrder: string[] = [];
}

/**
 * The tool registry's write and read model, per tenant, fed the `tool-*`
 * events in log order. Tenants never see each other's tools: every lookup
 * starts at the tenant.
 */
export class ToolProjection {
  private readonly tenants = new Map<string, TenantTools>();
  private appliedCount = 0;

  get eventsApplied(): number {
    return this.appliedCount;
  }

  apply(event: RecordedEvent): void {
    const parsed = this.parse(event);
    if (!parsed) return;
    const tenant = this.tenant(event.metadata.tenantId);
    const stream = tenant.streams.get(event.streamId);
    // Redelivery after a reconnect must not apply a change twice.
    if (stream && event.revision <= stream.revision) return;
    const state: ToolStreamState = applyRecorded(event, () => evolve(stream?.state ?? initialToolStreamState, parsed));
    tenant.streams.set(event.streamId, { state, revision: event.revision });
    let toolId: string | undefined;
    switch (parsed.type) {
      case 'McpServerRegistered':
        tenant.servers.set(parsed.data.serverId, {
          tenantId: event.metadata.tenantId,
          server: parsed.data,
          logPosition: event.position,
          createTime: event.time,
        });
        for (const tool of parsed.data.tools) this.addTool(tenant, event, state, tool.toolId);
        break;
      case 'ToolRegistered':
        toolId = parsed.data.toolId;
        this.addTool(tenant, event, state, toolId);
        break;
      case 'ToolDisabled': {
        toolId = parsed.data.toolId;
        const previous = tenant.tools.get(toolId)!;
        tenant.tools.set(toolId, {
          ...previous,
          entry: this.entryOf(state, toolId),
          logPosition: event.position,
          updateTime: event.time,
        });
        break;
      }
    }
    this.appliedCount += 1;
  }

  stream(tenantId: string, streamId: string): ToolStreamRecord | undefined {
    return this.tenants.get(tenantId)?.streams.get(streamId);
  }

  tool(tenantId: string, toolId: string): ToolRecord | undefined {
    return this.tenants.get(tenantId)?.tools.get(toolId);
  }

  server(tenantId: string, serverId: string): McpServerRecord | undefined {
    return this.tenants.get(tenantId)?.servers.get(serverId);
  }

  /** The id of the tenant's tool with this name, enabled or disabled. */
  toolIdByName(tenantId: string, name: string): string | undefined {
    return this.tenants.get(tenantId)?.idByName.get(name);
  }

  /** The tool as the API shows it, with its stream's current revision. */
  toProtoTool(record: ToolRecord): Tool {
    const revision = this.stream(record.tenantId, record.streamId)?.revision ?? 0;
    return toProtoTool(record, revision);
  }

  /** One page of the tenant's tools matching the filter, in registration order, after `afterSeq`. */
  list(tenantId: string, filter: ToolFilter, afterSeq: number, pageSize: number): ToolPage {
    const tenant = this.tenants.get(tenantId);
    const records: ToolRecord[] = [];
    let totalSize = 0;
    let more = false;
    for (const id of tenant?.creationOrder ?? []) {
      const record = tenant!.tools.get(id)!;
      if (!matches(filter, record.entry)) continue;
      totalSize += 1;
      if (record.createSeq <= afterSeq) continue;
      if (records.length < pageSize) records.push(record);
      else more = true;
    }
    return { records, totalSize, nextAfterSeq: more ? records.at(-1)?.createSeq : undefined };
  }

  private addTool(tenant: TenantTools, event: RecordedEvent, state: ToolStreamState, toolId: string): void {
    const entry = this.entryOf(state, toolId);
    tenant.creationOrder.push(toolId);
    tenant.tools.set(toolId, {
      tenantId: event.metadata.tenantId,
      streamId: event.streamId,
      entry,
      logPosition: event.position,
      createSeq: tenant.creationOrder.length,
      createTime: event.time,
      updateTime: event.time,
    });
    tenant.idByName.set(entry.definition.name, toolId);
  }

  private entryOf(state: ToolStreamState, toolId: string): ToolEntry {
    const entry = state.status === 'NONE' ? undefined : state.tools.get(toolId);
    if (!entry) throw new Error(`tool ${toolId} missing after its event`);
    return entry;
  }

  private parse(event: RecordedEvent) {
    // An event type this version does not know (written by a newer one) is skipped, not fatal.
    return parseRecorded(event, parseToolEvent);
  }

  private tenant(tenantId: string): TenantTools {
    let tenant = this.tenants.get(tenantId);
    if (!tenant) {
      tenant = new TenantTools();
      this.tenants.set(tenantId, tenant);
    }
    return tenant;
  }
}

function matches(filter: ToolFilter, entry: ToolEntry): boolean {
  const { definition } = entry;
  return (
    (filter.kind === undefined || definition.kind === filter.kind) &&
    (filter.risk === undefined || definition.risk === filter.risk) &&
    (filter.state === undefined || entry.status === filter.state) &&
    (filter.serverId === undefined || definition.mcp?.serverId === filter.serverId)
  );
}

export function toProtoTool(record: ToolRecord, revision: number): Tool {
  const { definition, status } = record.entry;
  return {
    id: definition.toolId,
    tenantId: record.tenantId,
    name: definition.name,
    description: definition.description,
    priceMicros: toolPriceOf(definition),
    kind: ToolKind[definition.kind],
    risk: ToolRisk[definition.risk],
    ...(definition.http ? { http: { ...definition.http } } : {}),
    ...(definition.mcp ? { mcp: { ...definition.mcp } } : {}),
    inputSchemaJson: definition.inputSchemaJson,
    state: ToolState[status],
    revision,
    createTime: toTimestamp(record.createTime),
    updateTime: toTimestamp(record.updateTime),
    createdBy: definition.createdBy,
    logPosition: record.logPosition,
  };
}

export function toProtoMcpServer(record: McpServerRecord): McpServer {
  const { server } = record;
  return {
    id: server.serverId,
    tenantId: record.tenantId,
    url: server.url,
    serverName: server.serverName,
    serverVersion: server.serverVersion,
    toolIds: server.tools.map((t) => t.toolId),
    createTime: toTimestamp(record.createTime),
    createdBy: server.createdBy,
    logPosition: record.logPosition,
  };
}
