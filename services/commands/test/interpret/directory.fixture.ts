import type { Directory, DirectoryAgent } from '@aos/command-language';

/** One tenant's names, as data: the caller (mallory) sees these and nothing of any other tenant. */
export const CALLER = { id: 'prn-0001-mallory', name: 'mallory' };

const agent = (id: string, name: string, capabilities: string[], state: DirectoryAgent['state']): DirectoryAgent => ({
  id,
  name,
  state,
  capabilities,
  labels: { team: 'finance' },
  toolIds: [],
  knowledgeBaseIds: [],
  revision: 3,
  definitionVersion: 2,
});

export const AGENTS = {
  billingHelper: agent('agt-09d75c1d-billing', 'billing-helper', ['billing', 'support'], 'ACTIVE'),
  supportBot: agent('agt-1f0c22aa-support', 'support-bot', ['support'], 'PAUSED'),
};

export const directory: Directory = {
  agents: () => Object.values(AGENTS),
  tools: () => [{ id: 'tool-ledger-01', name: 'ledger', disabled: false }],
  knowledgeBases: () => [{ id: 'kb-handbook-01', name: 'handbook' }],
  principals: () => [
    { ...CALLER, kind: 'USER' },
    { id: 'prn-0002-eve', name: 'eve', kind: 'USER' },
  ],
  roles: () => ['tenant-admin', 'operator', 'viewer'],
};
