/**
 * What name resolution reads: one tenant's agents, tools, knowledge bases,
 * principals and roles as the server's read models hold them right now. The
 * commands service implements it over the projections it follows; tests use
 * an in-memory one (it is data, not a store).
 */
export interface DirectoryAgent {
  id: string;
  name: string;
  state: 'DRAFT' | 'ACTIVE' | 'PAUSED' | 'RETIRED';
  capabilities: readonly string[];
  labels: Readonly<Record<string, string>>;
  toolIds: readonly string[];
  knowledgeBaseIds: readonly string[];
  /** The agent stream's revision (an UpdateAgent step expects it). */
  revision: number;
  /** Its current definition version (a rollback goes to one of 1 to this). */
  definitionVersion: number;
}

export interface DirectoryEntry {
  id: string;
  name: string;
}

export interface DirectoryTool extends DirectoryEntry {
  /** A disabled tool cannot be granted. */
  disabled: boolean;
}

export interface DirectoryPrincipal extends DirectoryEntry {
  kind: 'USER' | 'SERVICE_ACCOUNT';
}

export interface Directory {
  agents(): readonly DirectoryAgent[];
  tools(): readonly DirectoryTool[];
  knowledgeBases(): readonly DirectoryEntry[];
  principals(): readonly DirectoryPrincipal[];
  /** Built-in and custom role names. */
  roles(): readonly string[];
}
