import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ActionRunner, CliContext } from '../cli-context';
import { renderAgentStats } from '../output/agent-stats.view';
import { examples } from './command-options';
import { parseDurationMs } from './governance-parsers';
import { byIdOrName } from './name-ref';
import { parseNonNegativeInt } from './option-parsers';

/** The server's bounds of GetAgentStats' window. */
const MAX_WINDOW_SECONDS = 2_592_000;

interface StatsFlags {
  window?: number;
  minPosition?: number;
}

/** `--window`: a duration (`24h`, `90m`, `7d`, `1d12h`) of at most 30 days, as whole seconds. */
export function parseStatsWindow(value: string): number {
  const ms = parseDurationMs(value);
  const seconds = ms === undefined ? Number.NaN : Math.floor(ms / 1000);
  if (!(seconds >= 1 && seconds <= MAX_WINDOW_SECONDS)) {
    throw new InvalidArgumentError('expected a duration from 1s to 30d, e.g. 24h, 90m, 7d, 1d12h.');
  }
  return seconds;
}

async function agentStats(ctx: CliContext, ref: string, flags: StatsFlags): Promise<void> {
  const client = await ctx.connect();
  const stats = await client.agents.getAgentStats(
    { ...byIdOrName(ref), windowSeconds: flags.window ?? 0, minPosition: flags.minPosition ?? 0 },
    { signal: ctx.signal },
  );
  if (ctx.json) ctx.writeJson(stats);
  else ctx.write(renderAgentStats(stats));
}

/** `aos agents stats <agent>`: AgentService.GetAgentStats. */
export function registerAgentStatsCommand(agents: Command, runner: ActionRunner, agentArgument: string): void {
  agents
    .command('stats')
    .description(
      "figures of an agent's runs that ended in a window (default the last 24 hours): how many succeeded, " +
        'failed or were stopped, their p50 and p95 duration, model tokens and cost; and its health now, with why',
    )
    .argument('<agent>', agentArgument)
    .option(
      '--window <duration>',
      'how far back from now, e.g. 24h, 90m, 7d (at most 30d; default 24h)',
      parseStatsWindow,
    )
    .option('--min-position <position>', 'wait until the server has seen this log position', parseNonNegativeInt)
    .addHelpText(
      'after',
      examples('aos agents stats billing-helper', 'aos agents stats billing-helper --window 7d --json') +
        "\nDurations run from the run's start to its end (succeeded and failed runs; stopped ones are only counted).\n" +
        "Tokens are those of the model calls AgentOS made (an external agent's own model is not seen);\n" +
        "cost is what was charged to budgets, in the budgets' currency.\n",
    )
    .action(runner.wrap(agentStats));
}
