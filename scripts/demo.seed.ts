import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BudgetPeriod, BudgetScope, RuleEffect, ToolRisk, type Agent, type Tool } from '@aos/contracts';
import { AosClientError, createAosClient, type AosClient } from '@aos/grpc-client';

/**
 * Seeds the `demo` tenant: its admin key, the tools of the demo's HTTP tool
 * server, the demo agents, the rule that puts refunds before a person, and a
 * budget. Every request carries a fixed request id, so a second run is
 * answered from the log as a replay and records nothing twice.
 */
export const DEMO_TENANT = 'demo';
export const DEMO_KEY_FILE = 'demo-admin.key';
/** Every demo agent carries it, so the console and `aos agents list --filter` can tell them apart. */
export const DEMO_LABEL = { demo: 'true' } as const;

export interface DemoToolSpec {
  name: string;
  description: string;
  risk: ToolRisk;
  method: 'GET' | 'POST';
  path: string;
  /** What one call costs in micro-units, charged to the agent's and the tenant's budgets. */
  priceMicros: number;
}

export interface DemoAgentSpec {
  name: string;
  description: string;
  capabilities: string[];
  /** The one tool the example agent process calls for each task. */
  tool: string;
}

const TEXT_INPUT = JSON.stringify({
  type: 'object',
  properties: { text: { type: 'string', description: 'the request, in plain language' } },
  required: ['text'],
});

export const DEMO_TOOLS: readonly DemoToolSpec[] = [
  {
    name: 'inventory-lookup',
    description: '(demo) Units in stock of the catalogue item named in the text, and its warehouse.',
    risk: ToolRisk.READ,
    method: 'GET',
    path: '/inventory',
    priceMicros: 20_000, // 0.02
  },
  {
    name: 'order-status',
    description: '(demo) Delivery state of the order (#1234) named in the text.',
    risk: ToolRisk.READ,
    method: 'GET',
    path: '/orders',
    priceMicros: 10_000, // 0.01
  },
  {
    name: 'issue-refund',
    description: '(demo) Refunds the order (#1234) named in the text. Moves money: a person approves each call.',
    risk: ToolRisk.DESTRUCTIVE,
    method: 'POST',
    path: '/refunds',
    priceMicros: 500_000, // 0.50
  },
];

export const DEMO_AGENTS: readonly DemoAgentSpec[] = [
  {
    name: 'demo-stock',
    description: '(demo) Answers stock questions with inventory-lookup.',
    capabilities: ['inventory'],
    tool: 'inventory-lookup',
  },
  {
    name: 'demo-orders',
    description: '(demo) Answers delivery questions with order-status.',
    capabilities: ['orders'],
    tool: 'order-status',
  },
  {
    name: 'demo-refunds',
    description: '(demo) Issues refunds with issue-refund, each one approved by a person.',
    capabilities: ['refunds'],
    tool: 'issue-refund',
  },
];

/** The tool that needs a person's approval on every call. */
export const APPROVAL_TOOL = 'issue-refund';
/** Tokens per UTC day for the whole tenant. */
export const DEMO_DAILY_TOKENS = 200_000;
/**
 * Cost per UTC day for the whole tenant: 500.00. The demo's tools are priced,
 * so its spend moves: a question every 5 s costs at most 0.02, 345.60 a day,
 * plus 0.50 a refund a person approves; the limit lasts the day.
 */
export const DEMO_DAILY_COST_MICROS = 500_000_000;

export interface DemoSeed {
  apiKey: string;
  keyPath: string;
  agents: { spec: DemoAgentSpec; agent: Agent }[];
  tools: Tool[];
}

/** Thrown when the demo tenant exists but its admin key file is gone: its secret is nowhere else. */
export class DemoKeyLostError extends Error {
  override name = 'DemoKeyLostError';
  constructor(readonly keyPath: string) {
    super(
      `the ${DEMO_TENANT} tenant exists but its admin key file ${keyPath} is missing; ` +
        `start with a fresh AOS_DATA_DIR to seed the demo again`,
    );
  }
}

const rid = (what: string) => `demo-seed/${what}`;

/**
 * Creates the demo tenant (as the bootstrap admin) and writes its admin key to
 * `<dataDir>/demo-admin.key`, or reads that file when the tenant exists.
 */
async function ensureDemoTenant(admin: AosClient, dataDir: string): Promise<{ apiKey: string; keyPath: string }> {
  const keyPath = join(dataDir, DEMO_KEY_FILE);
  const created = await admin.governance.createTenant({
    tenant: { id: DEMO_TENANT, displayName: 'Demo (seeded by npm run demo)' },
    adminName: 'demo-admin',
    requestId: rid('tenant'),
  });
  // A retry's reply holds no secret: the first run wrote it to the file.
  if (created.adminApiKeySecret) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(keyPath, `${created.adminApiKeySecret}\n`, { mode: 0o600 });
    return { apiKey: created.adminApiKeySecret, keyPath };
  }
  try {
    return { apiKey: readFileSync(keyPath, 'utf8').trim(), keyPath };
  } catch {
    throw new DemoKeyLostError(keyPath);
  }
}

/** The registered endpoint of the demo's first tool, if a previous run registered it: the tool server must listen there again. */
async function registeredToolServer(demo: AosClient): Promise<URL | undefined> {
  try {
    const tool = await demo.tools.getTool({ name: DEMO_TOOLS[0]!.name });
    return tool.http ? new URL(tool.http.endpoint) : undefined;
  } catch (err) {
    if (err instanceof AosClientError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

/** Everything in the tenant besides the tenant itself; `demo` is a client with the tenant's admin key. */
async function seedDemoTenant(demo: AosClient, toolServerUrl: string): Promise<Omit<DemoSeed, 'apiKey' | 'keyPath'>> {
  const tools: Tool[] = [];
  for (const spec of DEMO_TOOLS) {
    tools.push(
      await demo.tools.registerTool({
        tool: {
          name: spec.name,
          description: spec.description,
          risk: spec.risk,
          http: { endpoint: `${toolServerUrl}${spec.path}`, method: spec.method },
          inputSchemaJson: TEXT_INPUT,
          priceMicros: spec.priceMicros,
        },
        requestId: rid(`tool/${spec.name}`),
      }),
    );
  }
  const toolId = (name: string) => tools.find((t) => t.name === name)!.id;

  const agents: DemoSeed['agents'] = [];
  for (const spec of DEMO_AGENTS) {
    const created = await demo.agents.createAgent({
      agent: {
        name: spec.name,
        description: spec.description,
        capabilities: spec.capabilities,
        instructions: `Demo agent without a model: the example agent process calls ${spec.tool} with the task's text.`,
        toolIds: [toolId(spec.tool)],
        labels: { ...DEMO_LABEL, 'aos.runtime': 'external' },
      },
      requestId: rid(`agent/${spec.name}`),
    });
    const agent = await demo.agents.deployAgent({
      id: created.id,
      reason: 'demo',
      requestId: rid(`agent/${spec.name}/deploy`),
    });
    agents.push({ spec, agent });
  }

  const refunder = agents.find((a) => a.spec.tool === APPROVAL_TOOL)!.agent;
  await demo.governance.addPolicyRule({
    rule: {
      subject: `agent:${refunder.id}`,
      action: 'tools.call',
      resource: `tools/${toolId(APPROVAL_TOOL)}`,
      effect: RuleEffect.ALLOW,
      requiresApproval: true,
    },
    requestId: rid('policy/refund-approval'),
  });
  await demo.governance.setBudget({
    scope: BudgetScope.TENANT,
    period: BudgetPeriod.DAILY,
    tokenLimit: DEMO_DAILY_TOKENS,
    costLimitMicros: DEMO_DAILY_COST_MICROS,
    requestId: rid('budget/tenant'),
  });
  return { agents, tools };
}

/**
 * The whole seed: tenant, key file, tools, agents, rule, budget. `toolServer`
 * is asked for the tool server's URL between the tenant and the tools, given
 * the endpoint a previous run registered (tools keep their endpoint, so the
 * server must listen there again).
 */
export async function seedDemo(options: {
  gatewayAddr: string;
  adminKey: string;
  dataDir: string;
  toolServer: (registered: URL | undefined) => Promise<string>;
}): Promise<DemoSeed> {
  const admin = createAosClient({ address: options.gatewayAddr, apiKey: options.adminKey });
  try {
    const { apiKey, keyPath } = await ensureDemoTenant(admin, options.dataDir);
    const demo = createAosClient({ address: options.gatewayAddr, apiKey });
    try {
      const url = await options.toolServer(await registeredToolServer(demo));
      return { apiKey, keyPath, ...(await seedDemoTenant(demo, url)) };
    } finally {
      demo.close();
    }
  } finally {
    admin.close();
  }
}
