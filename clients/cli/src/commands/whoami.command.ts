import type { Command } from 'commander';
import type { ActionRunner, CliContext } from '../cli-context';
import { renderWhoAmI } from '../output/identity.view';
import { examples } from './command-options';

async function whoAmI(ctx: CliContext): Promise<void> {
  const client = await ctx.connect();
  const me = await client.governance.whoAmI({}, { signal: ctx.signal });
  if (ctx.json) ctx.writeJson(me);
  else ctx.write(renderWhoAmI(me));
}

export function registerWhoAmICommand(program: Command, runner: ActionRunner): void {
  program
    .command('whoami')
    .description('show who the gateway takes you for: tenant, subject, principal, roles, how you authenticated')
    .addHelpText('after', examples('aos whoami', 'aos whoami --key "$OTHER_KEY" --json'))
    .action(runner.wrap(whoAmI));
}
