import type { Command } from 'commander';
import type { PolicyRule } from '@aos/contracts';
import { UsageError, type ActionRunner, type CliContext } from '../cli-context';
import { renderRule, renderRuleTable, subjectsOf } from '../output/authorization.view';
import {
  addMinPositionOption,
  addRequestIdOption,
  examples,
  requestIdOf,
  type MinPositionFlags,
  type RequestIdFlags,
} from './command-options';
import { parseSubject, SUBJECT_HELP } from './governance-parsers';
import { nameRefsOf } from './name-ref';

interface AddFlags extends RequestIdFlags {
  subject: string;
  action: string;
  resource?: string;
  deny?: boolean;
  requiresApproval?: boolean;
}

async function printRule(ctx: CliContext, rule: PolicyRule): Promise<void> {
  if (ctx.json) ctx.writeJson(rule);
  else ctx.write(renderRule(rule, await (await nameRefsOf(ctx)).subjectLabels(subjectsOf([rule]))));
}

async function addRule(ctx: CliContext, flags: AddFlags): Promise<void> {
  if (flags.deny && flags.requiresApproval) {
    throw new UsageError('--deny and --requires-approval do not go together: approval applies to an allowed action');
  }
  const client = await ctx.connect();
  const rule = {
    subject: await (await nameRefsOf(ctx)).subjectOf(flags.subject),
    action: flags.action,
    resource: flags.resource ?? '*',
    effect: (flags.deny ? 'DENY' : 'ALLOW') as PolicyRule['effect'],
    requiresApproval: flags.requiresApproval === true,
  };
  await printRule(
    ctx,
    await client.governance.addPolicyRule({ rule, requestId: requestIdOf(flags) }, { signal: ctx.signal }),
  );
}

async function removeRule(ctx: CliContext, id: string, flags: RequestIdFlags): Promise<void> {
  const client = await ctx.connect();
  await printRule(
    ctx,
    await client.governance.removePolicyRule({ id, requestId: requestIdOf(flags) }, { signal: ctx.signal }),
  );
}

async function listRules(ctx: CliContext, flags: MinPositionFlags & { subject?: string }): Promise<void> {
  const client = await ctx.connect();
  const names = await nameRefsOf(ctx);
  const reply = await client.governance.listPolicyRules(
    { subject: flags.subject ? await names.subjectOf(flags.subject) : '', minPosition: flags.minPosition ?? 0 },
    { signal: ctx.signal },
  );
  if (ctx.json) ctx.writeJson(reply);
  else ctx.write(renderRuleTable(reply.rules, await names.subjectLabels(subjectsOf(reply.rules))));
}

export function registerPoliciesCommand(program: Command, runner: ActionRunner): void {
  const policies = program
    .command('policies')
    .description('policy rules: allow or deny a subject an action on resources, beyond its roles');

  const add = policies
    .command('add')
    .description('add a rule (a deny rule wins over any allow)')
    .requiredOption('--subject <subject>', `${SUBJECT_HELP} or role:<role>`, parseSubject)
    .requiredOption('--action <permission>', 'a permission <area>.<verb>, may end in *, e.g. tools.call or agents.*')
    .option('--resource <pattern>', 'a resource <kind>/<id> or pattern, e.g. tools/weather, kb/* (default *)')
    .option('--deny', 'deny instead of allow')
    .option('--requires-approval', 'allowed only once a person approves each time (aos approvals)')
    .addHelpText(
      'after',
      examples(
        'aos policies add --subject agent:billing-helper --action tools.call --resource tools/weather',
        'aos policies add --subject agent:billing-helper --action tools.call --resource tools/payments --requires-approval',
        'aos policies add --subject alice --action agents.retire --deny',
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
    .option('--subject <subject>', "only this subject's rules (a name where an id goes, as for add)", parseSubject)
    .addHelpText('after', examples('aos policies list', 'aos policies list --subject agent:billing-helper --json'));
  addMinPositionOption(list).action(runner.wrap(listRules));
}
