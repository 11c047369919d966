import type { Command } from 'commander';
import type { Principal } from '@aos/contracts';
import type { ActionRunner, CliContext } from '../cli-context';
import { renderPrincipal, renderPrincipalTable } from '../output/identity.view';
import { byIdOrName } from './name-ref';
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
import { parsePrincipalKind, PRINCIPAL_KINDS } from './governance-parsers';
import { printPagedList } from './pagination';

interface CreateFlags extends RequestIdFlags {
  name: string;
  kind?: string;
  oidcSubject?: string;
}

function printPrincipal(ctx: CliContext, principal: Principal): void {
  if (ctx.json) ctx.writeJson(principal);
  else ctx.write(renderPrincipal(principal));
}

async function createPrincipal(ctx: CliContext, flags: CreateFlags): Promise<void> {
  const client = await ctx.connect();
  const principal = {
    name: flags.name,
    kind: (flags.kind ?? 'USER') as Principal['kind'],
    oidcSubject: flags.oidcSubject ?? '',
  };
  printPrincipal(
    ctx,
    await client.governance.createPrincipal({ principal, requestId: requestIdOf(flags) }, { signal: ctx.signal }),
  );
}

async function getPrincipal(ctx: CliContext, ref: string, flags: MinPositionFlags): Promise<void> {
  const client = await ctx.connect();
  printPrincipal(
    ctx,
    await client.governance.getPrincipal(
      { ...byIdOrName(ref), minPosition: flags.minPosition ?? 0 },
      { signal: ctx.signal },
    ),
  );
}

async function listPrincipals(ctx: CliContext, flags: PageFlags & MinPositionFlags): Promise<void> {
  const client = await ctx.connect();
  await printPagedList(ctx, flags, {
    fetchPage: (pageToken: string) =>
      client.governance.listPrincipals(
        { pageSize: flags.pageSize ?? 0, pageToken, minPosition: flags.minPosition ?? 0 },
        { signal: ctx.signal },
      ),
    field: 'principals',
    itemsOf: (page) => page.principals,
    render: renderPrincipalTable,
    noun: 'principal',
  });
}

export function registerPrincipalsCommand(program: Command, runner: ActionRunner): void {
  const principals = program
    .command('principals')
    .description('users and service accounts of your tenant: who can hold roles and API keys');

  const create = principals
    .command('create')
    .description('create a user or service principal; its subject (user:<id>, service:<id>) is what roles name')
    .requiredOption('--name <name>', 'unique within the tenant, 1-100 characters')
    .option('--kind <kind>', `${PRINCIPAL_KINDS.join(' or ')} (default user)`, parsePrincipalKind)
    .option('--oidc-subject <sub>', "for a user signing in with OIDC: the token's sub claim")
    .addHelpText(
      'after',
      examples(
        'aos principals create --name alice --oidc-subject 00u1abcd',
        'aos principals create --name billing-sync --kind service --json',
      ),
    );
  addRequestIdOption(create).action(runner.wrap(createPrincipal));

  const get = principals
    .command('get')
    .description('show one principal')
    .argument('<principal>', "a principal's id or name")
    .addHelpText('after', examples('aos principals get 6f1c0c3e-…'));
  addMinPositionOption(get).action(runner.wrap(getPrincipal));

  const list = principals
    .command('list')
    .description("list the tenant's principals")
    .addHelpText('after', examples('aos principals list', 'aos principals list --all --json'));
  addMinPositionOption(addPageOptions(list, 'principals')).action(runner.wrap(listPrincipals));
}
