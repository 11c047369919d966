import type { AccessModel } from '@aos/access-control';
import type { Directory, DirectoryAgent, DirectoryEntry } from '@aos/command-language';
import {
  AGENT_CATEGORY,
  KNOWLEDGE_CATEGORY,
  TOOL_CATEGORY,
  evolveAgentSnapshot,
  evolveTools,
  parseAgentEvent,
  parseKnowledgeEvent,
  parseToolEvent,
  type AgentSnapshot,
  type ToolView,
} from '@aos/domain';
import { applyRecorded, parseRecorded, type RecordedEvent } from '@aos/event-store';

interface AgentEntry {
  snapshot: AgentSnapshot;
  revision: number;
}

class TenantNames {
  readonly agents = new Map<string, AgentEntry>();
  readonly tools = new Map<string, ToolView>();
  readonly knowledgeBases = new Map<string, DirectoryEntry>();
}

/** The categories the directory follows besides the access model's (principals and roles come from it). */
export const DIRECTORY_CATEGORIES = [AGENT_CATEGORY, TOOL_CATEGORY, KNOWLEDGE_CATEGORY] as const;

/**
 * What name resolution reads, per tenant: agents (with what a selector and an
 * update look at), tools, knowledge bases, from their owners' streams; and
 * principals and roles from the access model the service already follows.
 * Names and ids only: nothing a plan does not resolve.
 */
export class DirectoryProjection {
  private readonly tenants = new Map<string, TenantNames>();
  eventsApplied = 0;

  constructor(private readonly access: AccessModel) {}

  apply(event: RecordedEvent): void {
    if (event.category === AGENT_CATEGORY) this.applyAgent(event);
    else if (event.category === TOOL_CATEGORY) this.applyTool(event);
    // A knowledge stream is mostly documents and blob parts; only a creation names anything.
    else if (event.category === KNOWLEDGE_CATEGORY && event.type === 'KnowledgeBaseCreated') this.applyKnowledge(event);
  }

  /** One tenant's names as they are now. */
  of(tenantId: string): Directory {
    const names = this.tenants.get(tenantId) ?? new TenantNames();
    const access = this.access;
    return {
      agents: () => [...names.agents.values()].map(toDirectoryAgent),
      tools: () =>
        [...names.tools.values()].map(({ definition, enabled }) => ({
          id: definition.toolId,
          name: definition.name,
          disabled: !enabled,
        })),
      knowledgeBases: () => [...names.knowledgeBases.values()],
      principals: () =>
        access.principals(tenantId).map((p) => ({
          id: p.id,
          name: p.name,
          kind: p.kind === 'USER' ? ('USER' as const) : ('SERVICE_ACCOUNT' as const),
        })),
      roles: () => access.roles(tenantId).map((r) => r.name),
    };
  }

  private applyAgent(event: RecordedEvent): void {
    const parsed = parseRecorded(event, parseAgentEvent);
    if (!parsed) return;
    const agents = this.tenant(event.metadata.tenantId).agents;
    applyRecorded(event, () => {
      const before = agents.get(parsed.data.agentId);
      agents.set(parsed.data.agentId, {
        snapshot: evolveAgentSnapshot(before?.snapshot, parsed),
        revision: event.revision,
      });
    });
    this.eventsApplied += 1;
  }

  private applyTool(event: RecordedEvent): void {
    const parsed = parseRecorded(event, parseToolEvent);
    if (!parsed) return;
    const tools = this.tenant(event.metadata.tenantId).tools;
    for (const tool of evolveTools(tools, parsed)) tools.set(tool.definition.toolId, tool);
    this.eventsApplied += 1;
  }

  private applyKnowledge(event: RecordedEvent): void {
    const parsed = parseRecorded(event, parseKnowledgeEvent);
    if (parsed?.type !== 'KnowledgeBaseCreated') return;
    const { knowledgeBaseId, name } = parsed.data;
    this.tenant(event.metadata.tenantId).knowledgeBases.set(knowledgeBaseId, { id: knowledgeBaseId, name });
    this.eventsApplied += 1;
  }

  private tenant(tenantId: string): TenantNames {
    let names = this.tenants.get(tenantId);
    if (!names) this.tenants.set(tenantId, (names = new TenantNames()));
    return names;
  }
}

function toDirectoryAgent({ snapshot, revision }: AgentEntry): DirectoryAgent {
  const { definition } = snapshot;
  return {
    id: snapshot.agentId,
    name: definition.name,
    state: snapshot.status,
    capabilities: definition.capabilities,
    labels: definition.labels,
    toolIds: definition.toolIds,
    knowledgeBaseIds: definition.knowledgeBaseIds,
    revision,
    definitionVersion: snapshot.definitionVersion,
  };
}
