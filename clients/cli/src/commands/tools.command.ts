import type { Command } from 'commander';
import type { ListToolsRequest, RegisterMcpServerRequest, Tool } from '@aos/contracts';
import type { ActionRunner, CliContext } from '../cli-context';
import { renderMcpServer, renderTool, renderToolTable } from '../output/tool.view';
import { byIdOrName, nameRefsOf } from './name-ref';
import {
  addMinPositionOption,
  addPageOptions,
  addRequestIdOption,
  examples,
  requestIdOf,
  type MinPositionFlags,
  type PageFlags,
  type RequestIdFlags,
} from './command-options';
import { parseCostMicros } from './governance-parsers';
import { choice, parseNonNegativeInt } from './option-parsers';
import { printPagedList } from './pagination';

/**
 * `aos tools`: the tenant's tool registry. Enum values are sent as the proto
 * enum names proto-loader expects; the CLI imports no runtime code from
 * @aos/contracts, so `aos --help` stays fast.
 */

const RISKS = ['READ', 'WRITE', 'DESTRUCTIVE'] as const;
const KINDS = ['HTTP', 'MCP'] as const;
const STATES = ['ENABLED', 'DISABLED'] as const;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

interface RegisterFlags extends RequestIdFlags {
  name: string;
  endpoint: string;
  method: (typeof METHODS)[number];
  risk: (typeof RISKS)[number];
  schema?: string;
  description?: string;
  /** Micros, parsed from currency units. */
  price?: number;
}

interface RegisterMcpFlags extends RequestIdFlags {
  url: string;
  defaultRisk?: (typeof RISKS)[number];
  namePrefix?: string;
}

interface ListFlags extends PageFlags, MinPositionFlags {
  kind?: (typeof KINDS)[number];
  risk?: (typeof RISKS)[number];
  state?: (typeof STATES)[number];
  server?: string;
}

interface DisableFlags extends RequestIdFlags {
  reason?: string;
  expectedRevision?: number;
}

function printTool(ctx: CliContext, tool: Tool): void {
  if (ctx.json) ctx.writeJson(tool);
  else ctx.write(renderTool(tool));
}

async function registerTool(ctx: CliContext, flags: RegisterFlags): Promise<void> {
  // Read before connecting, so a missing file is a usage error without a call.
  const inputSchemaJson = flags.schema === undefined ? '' : await ctx.readInput(flags.schema);
  const client = await ctx.connect();
  const tool = {
    name: flags.name,
    description: flags.description ?? '',
    risk: flags.risk as Tool['risk'],
    http: { endpoint: flags.endpoint, method: flags.method },
    inputSchemaJson,
    priceMicros: flags.price ?? 0,
  } as Tool;
  printTool(ctx, await client.tools.registerTool({ tool, requestId: requestIdOf(flags) }, { signal: ctx.signal }));
}

async function registerMcpServer(ctx: CliContext, flags: RegisterMcpFlags): Promise<void> {
  const client = await ctx.connect();
  const request: RegisterMcpServerRequest = {
    url: flags.url,
    defaultRisk: (flags.defaultRisk ?? 'TOOL_RISK_UNSPECIFIED') as RegisterMcpServerRequest['defaultRisk'],
    namePrefix: flags.namePrefix ?? '',
    requestId: requestIdOf(flags),
  };
  const reply = await client.tools.registerMcpServer(request, { signal: ctx.signal });
  if (ctx.json) ctx.writeJson(reply);
  else ctx.write(renderMcpServer(reply.server, reply.tools));
}

async function getTool(ctx: CliContext, ref: string, flags: MinPositionFlags): Promise<void> {
  const client = await ctx.connect();
  printTool(
    ctx,
    await client.tools.getTool({ ...byIdOrName(ref), minPosition: flags.minPosition ?? 0 }, { signal: ctx.signal }),
  );
}

async function listTools(ctx: CliContext, flags: ListFlags): Promise<void> {
  const client = await ctx.connect();
  const filters = {
    kind: (flags.kind ?? 'TOOL_KIND_UNSPECIFIED') as ListToolsRequest['kind'],
    risk: (flags.risk ?? 'TOOL_RISK_UNSPECIFIED') as ListToolsRequest['risk'],
    state: (flags.state ?? 'TOOL_STATE_UNSPECIFIED') as ListToolsRequest['state'],
    serverId: flags.server ?? '',
  };
  await printPagedList(ctx, flags, {
    fetchPage: (pageToken: string) =>
      client.tools.listTools(
        { ...filters, pageSize: flags.pageSize ?? 0, pageToken, minPosition: flags.minPosition ?? 0 },
        { signal: ctx.signal },
      ),
    field: 'tools',
    itemsOf: (page) => page.tools,
    render: renderToolTable,
    noun: 'tool',
  });
}

async function disableTool(ctx: CliContext, ref: string, flags: DisableFlags): Promise<void> {
  const client = await ctx.connect();
  const id = await (await nameRefsOf(ctx)).idOf('tool', ref);
  printTool(
    ctx,
    await client.tools.disableTool(
      { id, reason: flags.reason ?? '', expectedRevision: flags.expectedRevision, requestId: requestIdOf(flags) },
      { signal: ctx.signal },
    ),
  );
}

export function registerToolsCommand(program: Command, runner: ActionRunner): void {
  const tools = program
    .command('tools')
    .description('the tool registry: HTTP tools and MCP servers your agents may call');

  const register = tools
    .command('register')
    .description('register an HTTP tool')
    .requiredOption('--name <name>', 'unique within the tenant, 1-64 characters of [a-z0-9_-]')
    .requiredOption('--endpoint <url>', 'the http:// or https:// URL the tool is called at')
    .requiredOption('--method <method>', `HTTP method (${METHODS.join(', ')})`, choice(METHODS))
    .requiredOption('--risk <risk>', 'read, write or destructive', choice(RISKS))
    .option('--schema <file>', 'JSON Schema of the input (an object schema); - reads standard input')
    .option('--description <text>', 'what the tool does, for people and for the model')
    .option(
      '--price <amount>',
      "what one call costs in currency units, e.g. 0.05, charged to the calling agent's and the tenant's budgets (default 0 = free)",
      parseCostMicros,
    )
    .addHelpText(
      'after',
      examples(
        'aos tools register --name refund --endpoint https://pay.example.com/refunds --method post --risk destructive --schema refund.json --price 0.50',
        'cat schema.json | aos tools register --name weather --endpoint https://wx.example.com --method get --risk read --schema -',
      ) +
        '\nA priced tool is charged after every call the runtime makes (whatever the tool answers) and refused while a budget is used up; --json shows the price in micros (0.05 → 50000).\n',
    );
  addRequestIdOption(register).action(runner.wrap(registerTool));

  const registerMcp = tools
    .command('register-mcp')
    .description('connect to an MCP server (streamable HTTP), and register every tool it lists')
    .requiredOption('--url <url>', "the server's streamable HTTP endpoint, e.g. https://mcp.example.com/mcp")
    .option(
      '--default-risk <risk>',
      'read, write or destructive: for tools whose annotations do not say (default destructive)',
      choice(RISKS),
    )
    .option('--name-prefix <prefix>', 'prepended to every tool name, e.g. github_ (at most 32 of [a-z0-9_-])')
    .addHelpText(
      'after',
      examples(
        'aos tools register-mcp --url http://127.0.0.1:8080/mcp --default-risk write',
        'aos tools register-mcp --url https://mcp.example.com/mcp --name-prefix example_ --json',
      ),
    );
  addRequestIdOption(registerMcp).action(runner.wrap(registerMcpServer));

  const list = tools
    .command('list')
    .description("list the tenant's tools, in registration order")
    .option('--kind <kind>', 'only http or mcp tools', choice(KINDS))
    .option('--risk <risk>', 'only tools of this risk (read, write, destructive)', choice(RISKS))
    .option('--state <state>', 'only enabled or disabled tools', choice(STATES))
    .option('--server <id>', 'only the tools of this MCP server')
    .addHelpText(
      'after',
      examples('aos tools list --kind mcp --risk read', 'aos tools list --state disabled --all --json'),
    );
  addMinPositionOption(addPageOptions(list, 'tools')).action(runner.wrap(listTools));

  const get = tools
    .command('get')
    .description('show one tool, with its input schema')
    .argument('<tool>', "a tool's id or name")
    .addHelpText('after', examples('aos tools get weather', 'aos tools get 6f1c0c3e-… --json'));
  addMinPositionOption(get).action(runner.wrap(getTool));

  const disable = tools
    .command('disable')
    .description('disable a tool for good: it can no longer be called, but stays readable and keeps its name')
    .argument('<tool>', "a tool's id or name")
    .option('--reason <text>', 'why, recorded in the log')
    .option('--expected-revision <n>', 'fail unless the tool is at this revision', parseNonNegativeInt)
    .addHelpText('after', examples('aos tools disable refund --reason "replaced by refund-v2"'));
  addRequestIdOption(disable).action(runner.wrap(disableTool));
}
