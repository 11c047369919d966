import { healthInWords, type Agent, type AgentChange } from '@aos/contracts';
import { renderKeyValues, renderTable, StreamingTable, type Column } from './table';
import { idsAsTheyAre, type IdLabels, type NamedKind } from './id-labels';
import { formatLabels, formatList, formatTimestamp } from './values';

const AGENT_COLUMNS: Column<Agent>[] = [
  { header: 'ID', value: (a) => a.id },
  { header: 'NAME', value: (a) => a.name, maxWidth: 40 },
  { header: 'STATE', value: (a) => a.state },
  { header: 'HEALTH', value: (a) => a.health?.status ?? 'UNKNOWN' },
  { header: 'REV', value: (a) => String(a.revision), align: 'right' },
  { header: 'CAPABILITIES', value: (a) => formatList(a.capabilities), maxWidth: 40 },
  { header: 'UPDATED', value: (a) => formatTimestamp(a.updateTime) },
];

export function renderAgentTable(agents: readonly Agent[]): string {
  return agents.length === 0 ? 'No agents found.\n' : renderTable(AGENT_COLUMNS, agents);
}

/** The ids renderAgent prints with names beside them: its tools, knowledge bases and creator. */
export function agentRefs(agent: Agent): [NamedKind, string][] {
  return [
    ...agent.toolIds.map((id): [NamedKind, string] => ['tool', id]),
    ...agent.knowledgeBaseIds.map((id): [NamedKind, string] => ['knowledge base', id]),
    ['principal', agent.createdBy],
  ];
}

/** `labels` prints the ids agentRefs lists with their names. */
export function renderAgent(agent: Agent, labels: IdLabels = idsAsTheyAre): string {
  return renderKeyValues([
    ['ID', agent.id],
    ['NAME', agent.name],
    ['STATE', agent.state],
    ['REVISION', String(agent.revision)],
    ['DEFINITION VERSION', String(agent.definitionVersion)],
    ['DESCRIPTION', agent.description],
    ['CAPABILITIES', formatList(agent.capabilities)],
    ['MODEL', agent.model],
    ['INSTRUCTIONS', agent.instructions],
    ['TOOLS', formatList(agent.toolIds.map((id) => labels('tool', id)))],
    ['KNOWLEDGE BASES', formatList(agent.knowledgeBaseIds.map((id) => labels('knowledge base', id)))],
    ['LABELS', formatLabels(agent.labels)],
    ['HEALTH', formatHealth(agent)],
    ['TENANT', agent.tenantId],
    ['CREATED BY', labels('principal', agent.createdBy)],
    ['CREATED', formatTimestamp(agent.createTime)],
    ['UPDATED', formatTimestamp(agent.updateTime)],
    ['LOG POSITION', String(agent.logPosition)],
  ]);
}

/**
 * "DEGRADED: 3 runs failed in a row; last: CODE: reason (3 of 5 recent runs
 * failed: …; newest run ended <time>)": the server's reason, then the counts;
 * a server that sends no reason gets the counts alone.
 */
function formatHealth(agent: Agent): string {
  const health = agent.health;
  if (!health) return '';
  const heartbeat = formatTimestamp(health.lastHeartbeatTime);
  const counts = `${healthInWords(health)}${heartbeat ? `; newest run ended ${heartbeat}` : ''}`;
  if (health.reason) return `${health.status}: ${health.reason} (${counts})`;
  return `${health.status}: ${healthInWords(health)}${heartbeat ? ` (newest run ended ${heartbeat})` : ''}`;
}

/** Fixed widths: a watch prints each change as it happens. */
export function agentChangeTable(): StreamingTable<AgentChange> {
  return new StreamingTable<AgentChange>([
    { header: 'POSITION', value: (c) => String(c.position), align: 'right', width: 8 },
    { header: 'EVENT', value: (c) => c.eventType, width: 20 },
    { header: 'ID', value: (c) => c.agent?.id ?? '', width: 36 },
    { header: 'NAME', value: (c) => c.agent?.name ?? '', width: 24, maxWidth: 24 },
    { header: 'STATE', value: (c) => c.agent?.state ?? '', width: 7 },
    { header: 'REV', value: (c) => String(c.agent?.revision ?? ''), align: 'right', width: 3 },
  ]);
}
