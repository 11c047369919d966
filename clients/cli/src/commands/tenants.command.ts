import type { Command } from 'commander';
import type { ActionRunner, CliContext } from '../cli-context';
import { renderCreatedTenant, renderTenantTable } from '../output/identity.view';
import {
  addPageOptions,
  addRequestIdOption,
  examples,
  requestIdOf,
  type PageFlags,
  type RequestIdFlags,
} from './command-options';
import { printPagedList } from './pagination';
import { warnAboutSecret } from './secret-notice';

interface CreateFlags extends RequestIdFlags {
  displayName?: string;
  adminName?: string;
}

async function createTenant(ctx: CliContext, id: string, flags: CreateFlags): Promise<void> {
  const client = await ctx.connect();
  const reply = await client.governance.createTenant(
    {
      tenant: { id, displayName: flags.displayName ?? '' },
      adminName: flags.adminName ?? '',
      requestId: requestIdOf(flags),
    },
    { signal: ctx.signal },
  );
  if (ctx.json) ctx.writeJson(reply);
  else ctx.write(renderCreatedTenant(reply));
  warnAboutSecret(ctx, reply.adminApiKeySecret, "the admin key's secret");
}

async function listTenants(ctx: CliContext, flags: PageFlags): Promise<void> {
  const client = await ctx.connect();
  await printPagedList(ctx, flags, {
    fetchPage: (pageToken: string) =>
      client.governance.listTenants({ pageSize: flags.pageSize ?? 0, pageToken }, { signal: ctx.signal }),
    field: 'tenants',
    itemsOf: (page) => page.tenants,
    render: renderTenantTable,
    noun: 'tenant',
  });
}

export function registerTenantsCommand(program: Command, runner: ActionRunner): void {
  const tenants = program.command('tenants').description('create and list tenants (system administrators only)');

  const create = tenants
    .command('create')
    .description("create a tenant with a first admin user and API key; the key's secret is printed once")
    .argument('<id>', 'tenant id: lowercase letters, digits and dashes, 1-63 characters')
    .option('--display-name <name>', 'a human-readable name')
    .option('--admin-name <name>', 'name of the first admin user (default "admin")')
    .addHelpText(
      'after',
      examples(
        'aos tenants create acme --display-name "Acme Corp"',
        'aos tenants create acme --admin-name alice --json > acme-admin.json',
      ) + '\nThe admin key secret is in this reply only; a retry with the same --request-id returns no secret.\n',
    );
  addRequestIdOption(create).action(runner.wrap(createTenant));

  const list = tenants
    .command('list')
    .description('list every tenant')
    .addHelpText('after', examples('aos tenants list', 'aos tenants list --all --json'));
  addPageOptions(list, 'tenants').action(runner.wrap(listTenants));
}
