import type { Command } from 'commander';
import type { PolicyRule } from '@aos/contracts';
import { UsageError, type ActionRunner, type CliContext } from '../cli-context';
import { renderRule, renderRuleTable } from '../output/authorization.view';
import {
  addMinPositionOption,
  addRequestIdOption,
  examples,
  requestIdOf,
  type MinPositionFlags,
  type RequestIdFlags,
} from './command-options';
import { parseSubject } from './governance-parsers';

interface AddFlags extends RequestIdFlags {
  subject: string;
  action: string;
  resource?: string;
  deny?: boolean;
  requiresApproval?: boolean;
}

function printRule(ctx: CliContext, rule: PolicyRule): void {
  if (ctx.json) ctx.writeJson(rule);
  else ctx.write(renderRule(rule));
}

async function addRule(ctx: CliContext, flags: AddFlags): Promise<void> {
  if (flags.deny && flags.requiresApproval) {
    throw new UsageError('--deny and --requires-approval do not go together: approval applies to an allowed action');
  }
  const client = await ctx.connect();
  const rule = {
    subject: flags.subject,
    action: flags.action,
    resource: flags.resource ?? '*',
    effect: (flags.deny ? 'DENY' : 'ALLOW') as PolicyRule['effect'],
    requiresApproval: flags.requiresApproval === true,
  };
  printRule(
    ctx,
    await client.governance.addPolicyRule({ rule, requestId: requestIdOf(flags) }, { signal: ctx.signal }),
  );
}

async function removeRule(ctx: CliContext, id: string, flags: RequestIdFlags): Promise<void> {
  const client = await ctx.connect();
  printRule(
    ctx,
    await client.governance.removePolicyRule({ id, requestId: requestIdOf(flags) }, { signal: ctx.signal }),
  );
}

async function listRules(ctx: CliContext, flags: MinPositionFlags & { subject?: string }): Promise<void> {
  const client = await ctx.connect();
  const reply = await client.governance.listPolicyRules(
    { subject: flags.subject ?? '', minPosition: flags.minPosition ?? 0 },
    { signal: ctx.signal },
  );
  if (ctx.json) ctx.writeJson(reply);
  else ctx.write(renderRuleTable(reply.rules));
}

export function registerPoliciesCommand(program: Command, runner: ActionRunner): void {
  const policies = program
    .command('policies')
    .description('policy rules: allow or deny a subject an action on resources, beyond its roles');

  const add = policies
    .command('add')
    .description('add a rule (a deny rule wins over any allow)')
    .requiredOption(
      '--subject <subject>',
      'user:<id>, service:<id>, agent:<id>, group:<oidc-group> or role:<role>',
      parseSubject,
    )
    .requiredOption('--action <permission>', 'a permission <area>.<verb>, may end in *, e.g. tools.call or agents.*')
    .option('--resource <pattern>', 'a resource <kind>/<id> or pattern, e.g. tools/weather, kb/* (default *)')
    .option('--deny', 'deny instead of allow')
    .option('--requires-approval', 'allowed only once a person approves each time (aos approvals)')
    .addHelpText(
      'after',
      examples(
        'aos policies add --subject agent:a1 --action tools.call --resource tools/weather',
        'aos policies add --subject agent:a1 --action tools.call --resource tools/payments --requires-approval',
        'aos policies add --subject role:operator --action agents.retire --deny',
      ),
    );
  addRequestIdOption(add).action(runner.wrap(addRule));

  const remove = policies
    .command('remove')
    .description('remove a rule')
    .argument('<id>', 'rule id (from `aos policies list`)')
    .addHelpText('after', examples('aos policies remove 3e9a…'));
  addRequestIdOption(remove).action(runner.wrap(removeRule));

  const list = policies
    .command('list')
    .description("list the tenant's policy rules")
    .option('--subject <subject>', "only this subject's rules", parseSubject)
    .addHelpText('after', examples('aos policies list', 'aos policies list --subject agent:a1 --json'));
  addMinPositionOption(list).action(runner.wrap(listRules));
}
