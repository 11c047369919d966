import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { ActionRunner, EXIT_USAGE } from './cli-context';
import { processIo, type CliIo } from './cli-io';
import { registerAgentsCommand } from './commands/agents.command';
import { registerAccessCommand } from './commands/access.command';
import { registerApprovalsCommand } from './commands/approvals.command';
import { registerAuditCommand } from './commands/audit.command';
import { registerBudgetsCommand } from './commands/budgets.command';
import { registerContextCommand } from './commands/context.command';
import { registerDoCommand } from './commands/do.command';
import { registerKeysCommand } from './commands/keys.command';
import { registerKnowledgeCommand } from './commands/knowledge.command';
import { parsePositiveInt } from './commands/option-parsers';
import { registerPoliciesCommand } from './commands/policies.command';
import { registerPrincipalsCommand } from './commands/principals.command';
import { registerRolesCommand } from './commands/roles.command';
import { registerTasksCommand } from './commands/tasks.command';
import { registerTenantsCommand } from './commands/tenants.command';
import { registerToolsCommand } from './commands/tools.command';
import { registerWhoAmICommand } from './commands/whoami.command';

export { processIo, type CliIo } from './cli-io';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const EXAMPLES = `
Examples:
  $ aos do "create an agent called invoice-bot that handles invoices and refunds, give it the ledger tool and deploy it"
  $ aos do "which agents are paused?"
  $ aos do "pause every support agent" --yes
  $ aos agents create --name billing-bot --capability billing --capability refunds --label team=support
  $ aos agents list --state active --capability billing
  $ aos agents get 6f1c0c3e-… --json
  $ aos agents update 6f1c0c3e-… --model gpt-4o --expected-revision 3
  $ aos agents pause 6f1c0c3e-… --reason "maintenance window"
  $ aos audit list --stream agent-6f1c0c3e-… --type AgentPaused
  $ aos audit replay --category agent --follow --json
  $ aos audit export --format bundle --out audit.bundle.jsonl && aos audit verify audit.bundle.jsonl --key @log.key
  $ aos agents stats billing-bot --window 7d
  $ aos whoami
  $ aos principals create --name alice
  $ aos keys create --principal 6f1c0c3e-… --expires 30d
  $ aos roles assign user:6f1c0c3e-… operator
  $ aos access check --subject user:6f1c0c3e-… --action agents.pause
  $ aos budgets set --agent 6f1c0c3e-… --period daily --cost 12.50
  $ aos tools register --name weather --endpoint https://wx.example.com --method get --risk read --schema in.json
  $ aos tools register-mcp --url http://127.0.0.1:8080/mcp --default-risk write
  $ aos tasks submit "Refund the duplicate charge on invoice 4411" --capability billing --wait
  $ aos tasks list --state queued
  $ aos kb create support-docs --description "Refund and billing policies"
  $ aos kb add support-docs refunds.md --id refunds --meta lang=en
  $ aos kb search "how long do refunds take" --kb support-docs
  $ aos context put tenant release.freeze '{"until": "2025-02-01"}' --expected-version 0
  $ aos context watch tenant

Connection:
  address  --addr, $AOS_GATEWAY_ADDR, "addr" in the config file, or 127.0.0.1:50051
  API key  --key, $AOS_API_KEY, $AOS_BOOTSTRAP_API_KEY, "key" in the config file,
           or <$AOS_DATA_DIR or .aos>/bootstrap-admin.key (written by \`npm start\`)
  config   --config, $AOS_CONFIG, or ~/.config/aos/config.json: {"addr": "…", "key": "…"}

Exit status: 0 success, 1 the call failed (the gRPC status is printed), 2 usage error,
             3 \`aos access check\` answered "not allowed", or an \`aos do\` step is not permitted
             (\`aos do\`: 2 when the plan has open questions or no step; 1 when declined or a step failed),
             4 \`aos tasks submit --wait\` or \`aos tasks watch\`: the task FAILED or was CANCELLED.

Every command has --help with examples, e.g. \`aos keys create --help\`.
`;

/** The `aos` program; output goes to `io`, action results are recorded on `runner`. */
export function createProgram(io: CliIo, runner: ActionRunner): Command {
  const program = new Command('aos')
    .description(
      'AgentOS command line: manage agents, tasks, tools, knowledge bases, shared context, identities, access and budgets, and read the audit log through the gateway',
    )
    .version(version)
    // Set before the subcommands are added, which inherit them.
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(add --help for usage)')
    .option('--addr <host:port>', 'gateway address')
    .option('--key <api-key>', 'API key sent as "authorization: Bearer <key>"')
    .option('--config <path>', 'config file')
    .option('--json', 'print replies as JSON (streams: one JSON object per line)')
    .option('--timeout <ms>', 'deadline of each call in milliseconds (default 30000)', parsePositiveInt)
    .addHelpText('after', EXAMPLES);
  registerAgentsCommand(program, runner);
  registerAuditCommand(program, runner);
  registerWhoAmICommand(program, runner);
  registerTenantsCommand(program, runner);
  registerPrincipalsCommand(program, runner);
  registerKeysCommand(program, runner);
  registerRolesCommand(program, runner);
  registerPoliciesCommand(program, runner);
  registerAccessCommand(program, runner);
  registerApprovalsCommand(program, runner);
  registerBudgetsCommand(program, runner);
  registerToolsCommand(program, runner);
  registerTasksCommand(program, runner);
  registerKnowledgeCommand(program, runner);
  registerContextCommand(program, runner);
  registerDoCommand(program, runner);
  return program;
}

/** Runs `aos <argv…>` (arguments after the program name) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const runner = new ActionRunner(io);
  try {
    await createProgram(io, runner).parseAsync(argv, { from: 'user' });
  } catch (error) {
    // Commander has already printed the problem (or the help/version asked for).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    throw error;
  }
  return runner.exitCode;
}
