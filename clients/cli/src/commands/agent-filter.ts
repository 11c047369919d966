import type { AgentStateName, HealthStatusName } from './option-parsers';

export interface AgentFilterFlags {
  filter?: string;
  state?: AgentStateName;
  health?: HealthStatusName;
  capability?: string[];
  label?: Record<string, string>;
}

/**
 * The ListAgents filter string for the convenience flags, joined with AND to a
 * raw --filter: `state = ACTIVE AND health = UNHEALTHY AND capability = "billing" AND labels.team = "support"`.
 * Values are quoted as JSON strings so quotes and backslashes survive.
 */
export function buildAgentFilter(flags: AgentFilterFlags): string {
  const terms: string[] = [];
  if (flags.filter?.trim()) terms.push(flags.filter.trim());
  if (flags.state) terms.push(`state = ${flags.state}`);
  if (flags.health) terms.push(`health = ${flags.health}`);
  for (const capability of flags.capability ?? []) terms.push(`capability = ${JSON.stringify(capability)}`);
  for (const [key, value] of Object.entries(flags.label ?? {})) terms.push(`labels.${key} = ${JSON.stringify(value)}`);
  return terms.join(' AND ');
}
