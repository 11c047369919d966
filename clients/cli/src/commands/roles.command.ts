import type { Command } from 'commander';
import type { RoleBinding } from '@aos/contracts';
import type { ActionRunner, CliContext } from '../cli-context';
import {
  renderBinding,
  renderBindingTable,
  renderRole,
  renderRoleTable,
  subjectsOf,
} from '../output/authorization.view';
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
import { collect } from './option-parsers';

async function listRoles(ctx: CliContext): Promise<void> {
  const client = await ctx.connect();
  const reply = await client.governance.listRoles({}, { signal: ctx.signal });
  if (ctx.json) ctx.writeJson(reply);
  else ctx.write(renderRoleTable(reply.roles));
}

interface DefineFlags extends RequestIdFlags {
  permission: string[];
  description?: string;
}

async function defineRole(ctx: CliContext, name: string, flags: DefineFlags): Promise<void> {
  const client = await ctx.connect();
  const role = await client.governance.defineRole(
    {
      role: { name, permissions: flags.permission, description: flags.description ?? '' },
      requestId: requestIdOf(flags),
    },
    { signal: ctx.signal },
  );
  if (ctx.json) ctx.writeJson(role);
  else ctx.write(renderRole(role));
}

async function printBinding(ctx: CliContext, binding: RoleBinding): Promise<void> {
  if (ctx.json) ctx.writeJson(binding);
  else ctx.write(renderBinding(binding, await (await nameRefsOf(ctx)).subjectLabels(subjectsOf([binding]))));
}

function changeBinding(change: 'assignRole' | 'revokeRole') {
  return async (ctx: CliContext, subject: string, role: string, flags: RequestIdFlags): Promise<void> => {
    const client = await ctx.connect();
    const request = { subject: await (await nameRefsOf(ctx)).subjectOf(subject), role, requestId: requestIdOf(flags) };
    await printBinding(ctx, await client.governance[change](request, { signal: ctx.signal }));
  };
}

async function listBindings(ctx: CliContext, flags: MinPositionFlags & { subject?: string }): Promise<void> {
  const client = await ctx.connect();
  const names = await nameRefsOf(ctx);
  const reply = await client.governance.listRoleBindings(
    { subject: flags.subject ? await names.subjectOf(flags.subject) : '', minPosition: flags.minPosition ?? 0 },
    { signal: ctx.signal },
  );
  if (ctx.json) ctx.writeJson(reply);
  else ctx.write(renderBindingTable(reply.bindings, await names.subjectLabels(subjectsOf(reply.bindings))));
}

export function registerRolesCommand(program: Command, runner: ActionRunner): void {
  const roles = program.command('roles').description('roles (sets of permissions) and who holds them in your tenant');

  roles
    .command('list')
    .description('list the built-in and custom roles with their permissions')
    .addHelpText('after', examples('aos roles list', 'aos roles list --json'))
    .action(runner.wrap(listRoles));

  const define = roles
    .command('define')
    .description('define or redefine a custom role (the built-in names are reserved)')
    .argument('<name>', 'role name: 1-63 characters of a-z, 0-9 and -')
    .requiredOption(
      '--permission <permission>',
      'a permission <area>.<verb>, may end in * (e.g. agents.get, tasks.*); repeatable',
      collect,
    )
    .option('--description <text>', 'what the role is for')
    .addHelpText(
      'after',
      examples(
        'aos roles define support-lead --permission agents.get --permission agents.pause --permission approvals.*',
        'aos roles define reader --permission agents.list --description "read-only dashboards"',
      ),
    );
  addRequestIdOption(define).action(runner.wrap(defineRole));

  const assign = roles
    .command('assign')
    .description('bind a subject to a role in your tenant')
    .argument('<subject>', SUBJECT_HELP, parseSubject)
    .argument('<role>', 'role name, e.g. operator')
    .addHelpText(
      'after',
      examples(
        'aos roles assign alice operator',
        'aos roles assign service:ci-deployer agent-manager',
        'aos roles assign agent:billing-helper viewer',
        'aos roles assign group:platform-team agent-manager',
      ),
    );
  addRequestIdOption(assign).action(runner.wrap(changeBinding('assignRole')));

  const revoke = roles
    .command('revoke')
    .description('remove a role binding; the subject loses the role from the moment this command returns')
    .argument('<subject>', SUBJECT_HELP, parseSubject)
    .argument('<role>', 'role name')
    .addHelpText('after', examples('aos roles revoke alice operator', 'aos roles revoke user:6f1c0c3e-… operator'));
  addRequestIdOption(revoke).action(runner.wrap(changeBinding('revokeRole')));

  const bindings = roles
    .command('bindings')
    .description('list role bindings: which subject holds which role')
    .option('--subject <subject>', `only this subject's bindings (${SUBJECT_HELP})`, parseSubject)
    .addHelpText('after', examples('aos roles bindings', 'aos roles bindings --subject alice --json'));
  addMinPositionOption(bindings).action(runner.wrap(listBindings));
}
