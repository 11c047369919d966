import type { Command } from 'commander';
import type { Budget } from '@aos/contracts';
import { UsageError, type ActionRunner, type CliContext } from '../cli-context';
import { renderBudget } from '../output/budget.view';
import { nameRefsOf } from './name-ref';
import {
  addMinPositionOption,
  addRequestIdOption,
  examples,
  requestIdOf,
  type MinPositionFlags,
  type RequestIdFlags,
} from './command-options';
import { BUDGET_PERIODS, parseBudgetPeriod, parseCostMicros } from './governance-parsers';
import { parseNonNegativeInt } from './option-parsers';

interface ScopeFlags {
  tenant?: boolean;
  agent?: string;
}

/** Exactly one of --tenant and --agent: the budget's scope as the proto has it. */
export function budgetScope(flags: ScopeFlags): { scope: Budget['scope']; agentId: string } {
  if (flags.tenant === true && flags.agent !== undefined)
    throw new UsageError('pass either --tenant or --agent <id>, not both');
  if (flags.tenant === true) return { scope: 'TENANT' as Budget['scope'], agentId: '' };
  if (flags.agent !== undefined) return { scope: 'AGENT' as Budget['scope'], agentId: flags.agent };
  throw new UsageError('pass --tenant (the whole tenant) or --agent <id> (one agent)');
}

async function printBudget(ctx: CliContext, budget: Budget): Promise<void> {
  if (ctx.json) ctx.writeJson(budget);
  else ctx.write(renderBudget(budget, await (await nameRefsOf(ctx)).labels([['agent', budget.agentId]])));
}

interface SetFlags extends ScopeFlags, RequestIdFlags {
  period: string;
  tokens?: number;
  cost?: number;
}

/** `--agent` may name the agent: the scope with its id. */
async function withAgentId<Scope extends { agentId: string }>(ctx: CliContext, scope: Scope): Promise<Scope> {
  if (!scope.agentId) return scope;
  return { ...scope, agentId: await (await nameRefsOf(ctx)).idOf('agent', scope.agentId) };
}

async function setBudget(ctx: CliContext, flags: SetFlags): Promise<void> {
  const scope = await withAgentId(ctx, budgetScope(flags));
  // SetBudget replaces both limits; refusing neither-given avoids lifting them by accident.
  if (flags.tokens === undefined && flags.cost === undefined) {
    throw new UsageError('pass --tokens and/or --cost (0 = no limit)');
  }
  const client = await ctx.connect();
  const budget = await client.governance.setBudget(
    {
      ...scope,
      period: flags.period as Budget['period'],
      tokenLimit: flags.tokens ?? 0,
      costLimitMicros: flags.cost ?? 0,
      requestId: requestIdOf(flags),
    },
    { signal: ctx.signal },
  );
  await printBudget(ctx, budget);
}

async function getBudget(ctx: CliContext, flags: ScopeFlags & MinPositionFlags): Promise<void> {
  const scope = await withAgentId(ctx, budgetScope(flags));
  const client = await ctx.connect();
  await printBudget(
    ctx,
    await client.governance.getBudget({ ...scope, minPosition: flags.minPosition ?? 0 }, { signal: ctx.signal }),
  );
}

function addScopeOptions(command: Command): Command {
  return command
    .option('--tenant', "the tenant's budget (everything its agents use)")
    .option('--agent <agent>', "one agent's budget (its id or name)");
}

export function registerBudgetsCommand(program: Command, runner: ActionRunner): void {
  const budgets = program
    .command('budgets')
    .description('token and cost limits per tenant or agent; when used up, calls fail with RESOURCE_EXHAUSTED');

  const set = budgets
    .command('set')
    .description('set a budget, replacing its limits (a limit not given is none)')
    .requiredOption('--period <period>', `when usage resets: ${BUDGET_PERIODS.join(', ')} (never)`, parseBudgetPeriod)
    .option('--tokens <n>', 'token limit per period (0 = none)', parseNonNegativeInt)
    .option('--cost <amount>', 'cost limit per period in currency units, e.g. 12.50 (0 = none)', parseCostMicros)
    .addHelpText(
      'after',
      examples(
        'aos budgets set --tenant --period monthly --cost 500',
        'aos budgets set --agent billing-helper --period daily --tokens 200000 --cost 12.50',
      ) + '\nCost is stored in millionths of the currency unit (12.50 → 12500000 micros), so --json shows micros.\n',
    );
  addRequestIdOption(addScopeOptions(set)).action(runner.wrap(setBudget));

  const get = budgets
    .command('get')
    .description('show a budget: its limits and what the current period has used')
    .addHelpText('after', examples('aos budgets get --tenant', 'aos budgets get --agent 6f1c0c3e-… --json'));
  addMinPositionOption(addScopeOptions(get)).action(runner.wrap(getBudget));
}
