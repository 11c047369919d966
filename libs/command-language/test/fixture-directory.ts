import type { Directory, DirectoryAgent, DirectoryEntry, DirectoryPrincipal, DirectoryTool } from '../src/directory';

/**
 * One tenant's names as the commands service's read model would hold them:
 * two support agents named alike, every lifecycle state, labels, a disabled
 * tool, knowledge bases, two users and a service account.
 */
export const ID = {
  billingHelper: '09d75c1d-3c1e-4a51-9c60-1f6a2b7d0001',
  supportEn: '1f0c2a3b-0000-4000-8000-00000000a001',
  supportDe: '1f0c9e8d-0000-4000-8000-00000000a002',
  triageBot: '2b3c4d5e-0000-4000-8000-00000000b001',
  salesScout: '3c4d5e6f-0000-4000-8000-00000000c001',
  salesCloser: '3c4d7a7b-0000-4000-8000-00000000c002',
  reportWriter: '4d5e6f70-0000-4000-8000-00000000d001',
  researchBot: '5e6f7081-0000-4000-8000-00000000e001',
  oldCrawler: '6f708192-0000-4000-8000-00000000f001',
  ledger: 'a1000000-0000-4000-8000-000000000001',
  webSearch: 'a1000000-0000-4000-8000-000000000002',
  crm: 'a1000000-0000-4000-8000-000000000003',
  legacyMailer: 'a1000000-0000-4000-8000-000000000004',
  policies: 'b2000000-0000-4000-8000-000000000001',
  productDocs: 'b2000000-0000-4000-8000-000000000002',
  priceList: 'b2000000-0000-4000-8000-000000000003',
  alice: 'c3000000-0000-4000-8000-000000000001',
  bob: 'c3000000-0000-4000-8000-000000000002',
  ciDeployer: 'c3000000-0000-4000-8000-000000000003',
} as const;

const agent = (a: Partial<DirectoryAgent> & Pick<DirectoryAgent, 'id' | 'name' | 'state'>): DirectoryAgent => ({
  capabilities: [],
  labels: {},
  toolIds: [],
  knowledgeBaseIds: [],
  revision: 1,
  definitionVersion: 1,
  ...a,
});

export const AGENTS: readonly DirectoryAgent[] = [
  agent({
    id: ID.billingHelper,
    name: 'billing-helper',
    state: 'ACTIVE',
    capabilities: ['billing', 'refunds'],
    labels: { team: 'finance' },
    toolIds: [ID.ledger],
    knowledgeBaseIds: [ID.policies],
    revision: 7,
    definitionVersion: 4,
  }),
  agent({
    id: ID.supportEn,
    name: 'support-en',
    state: 'ACTIVE',
    capabilities: ['support'],
    labels: { team: 'support', lang: 'en' },
    toolIds: [ID.crm],
    revision: 4,
  }),
  agent({
    id: ID.supportDe,
    name: 'support-de',
    state: 'ACTIVE',
    capabilities: ['support'],
    labels: { team: 'support', lang: 'de' },
    revision: 5,
  }),
  agent({
    id: ID.triageBot,
    name: 'triage-bot',
    state: 'PAUSED',
    capabilities: ['support', 'triage'],
    labels: { team: 'support' },
    revision: 9,
    definitionVersion: 3,
  }),
  agent({
    id: ID.salesScout,
    name: 'sales-scout',
    state: 'ACTIVE',
    capabilities: ['sales', 'research'],
    labels: { team: 'sales' },
    toolIds: [ID.webSearch, ID.crm],
    revision: 3,
    definitionVersion: 2,
  }),
  agent({
    id: ID.salesCloser,
    name: 'sales-closer',
    state: 'PAUSED',
    capabilities: ['sales'],
    labels: { team: 'sales' },
    toolIds: [ID.crm],
    revision: 6,
  }),
  agent({ id: ID.reportWriter, name: 'report-writer', state: 'DRAFT', capabilities: ['reporting'], revision: 0 }),
  agent({
    id: ID.researchBot,
    name: 'research-bot',
    state: 'DRAFT',
    capabilities: ['research'],
    labels: { team: 'research' },
    revision: 2,
    definitionVersion: 3,
  }),
  agent({
    id: ID.oldCrawler,
    name: 'old-crawler',
    state: 'RETIRED',
    capabilities: ['research'],
    labels: { team: 'sales' },
    revision: 11,
    definitionVersion: 2,
  }),
];

export const TOOLS: readonly DirectoryTool[] = [
  { id: ID.ledger, name: 'ledger', disabled: false },
  { id: ID.webSearch, name: 'web-search', disabled: false },
  { id: ID.crm, name: 'crm', disabled: false },
  { id: ID.legacyMailer, name: 'legacy-mailer', disabled: true },
];

export const KNOWLEDGE_BASES: readonly DirectoryEntry[] = [
  { id: ID.policies, name: 'policies' },
  { id: ID.productDocs, name: 'product-docs' },
  { id: ID.priceList, name: 'price-list' },
];

export const PRINCIPALS: readonly DirectoryPrincipal[] = [
  { id: ID.alice, name: 'alice', kind: 'USER' },
  { id: ID.bob, name: 'bob', kind: 'USER' },
  { id: ID.ciDeployer, name: 'ci-deployer', kind: 'SERVICE_ACCOUNT' },
];

export const ROLES: readonly string[] = [
  'tenant-admin',
  'agent-manager',
  'operator',
  'task-submitter',
  'auditor',
  'viewer',
];

/** An in-memory directory: data, not a store. */
export const fixtureDirectory: Directory = {
  agents: () => AGENTS,
  tools: () => TOOLS,
  knowledgeBases: () => KNOWLEDGE_BASES,
  principals: () => PRINCIPALS,
  roles: () => ROLES,
};

/** Friday 4 December 2026, 15:30 UTC: today starts 2026-12-04T00:00Z, the week on Monday 2026-11-30. */
export const NOW = new Date('2026-12-04T15:30:00Z');
export const TODAY_START = Date.UTC(2026, 11, 4) / 1000;
export const YESTERDAY_START = Date.UTC(2026, 11, 3) / 1000;
export const WEEK_START = Date.UTC(2026, 10, 30) / 1000;
