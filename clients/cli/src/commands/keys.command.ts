import type { Command } from 'commander';
import type { Timestamp } from '@aos/contracts';
import type { ActionRunner, CliContext } from '../cli-context';
import { apiKeyRefs, renderApiKey, renderApiKeyTable, renderCreatedApiKey } from '../output/api-key.view';
import { nameRefsOf } from './name-ref';
import {
  addMinPositionOption,
  addRequestIdOption,
  examples,
  requestIdOf,
  type MinPositionFlags,
  type RequestIdFlags,
} from './command-options';
import { parseExpiry } from './governance-parsers';
import { warnAboutSecret } from './secret-notice';

interface CreateFlags extends RequestIdFlags {
  principal: string;
  description?: string;
  expires?: Timestamp;
}

async function createApiKey(ctx: CliContext, flags: CreateFlags): Promise<void> {
  const client = await ctx.connect();
  const names = await nameRefsOf(ctx);
  const reply = await client.governance.createApiKey(
    {
      principalId: await names.idOf('principal', flags.principal),
      description: flags.description ?? '',
      ...(flags.expires && { expireTime: flags.expires }),
      requestId: requestIdOf(flags),
    },
    { signal: ctx.signal },
  );
  if (ctx.json) ctx.writeJson(reply);
  else {
    const key = reply.apiKey ?? undefined;
    ctx.write(renderCreatedApiKey(key, reply.secret, await names.labels(apiKeyRefs(key ? [key] : [], true))));
  }
  warnAboutSecret(ctx, reply.secret, "the key's secret");
}

async function listApiKeys(ctx: CliContext, flags: MinPositionFlags & { principal?: string }): Promise<void> {
  const client = await ctx.connect();
  const names = await nameRefsOf(ctx);
  const principalId = flags.principal ? await names.idOf('principal', flags.principal) : '';
  const reply = await client.governance.listApiKeys(
    { principalId, minPosition: flags.minPosition ?? 0 },
    { signal: ctx.signal },
  );
  if (ctx.json) ctx.writeJson(reply);
  else ctx.write(renderApiKeyTable(reply.apiKeys, await names.labels(apiKeyRefs(reply.apiKeys))));
}

async function revokeApiKey(ctx: CliContext, id: string, flags: RequestIdFlags): Promise<void> {
  const client = await ctx.connect();
  const key = await client.governance.revokeApiKey({ id, requestId: requestIdOf(flags) }, { signal: ctx.signal });
  if (ctx.json) ctx.writeJson(key);
  else ctx.write(renderApiKey(key, await (await nameRefsOf(ctx)).labels(apiKeyRefs([key], true))));
}

export function registerKeysCommand(program: Command, runner: ActionRunner): void {
  const keys = program
    .command('keys')
    .description('API keys: created for a principal, shown once, revocable; the server keeps only a hash');

  const create = keys
    .command('create')
    .description('create an API key for a principal; its secret is printed once and never again')
    .requiredOption(
      '--principal <principal>',
      'the principal the key authenticates as: its id or name (not its subject)',
    )
    .option('--description <text>', 'what the key is for, e.g. "CI pipeline"')
    .option(
      '--expires <when>',
      'when the key stops working: an ISO-8601 time or a duration from now (30d, 12h, 1d12h, 90m, 2w); default never',
      (value: string) => parseExpiry(value),
    )
    .addHelpText(
      'after',
      examples(
        'aos keys create --principal ci-deployer --description "CI pipeline" --expires 30d',
        'aos keys create --principal 6f1c0c3e-… --expires 2026-01-31T00:00:00Z --json | jq -r .secret',
      ) +
        '\nThe secret (aos_<prefix>_<secret>) is in this reply only; a retry with the same --request-id returns none.\n',
    );
  addRequestIdOption(create).action(runner.wrap(createApiKey));

  const list = keys
    .command('list')
    .description("list the tenant's API keys (never their secrets)")
    .option('--principal <principal>', "only this principal's keys (id or name)")
    .addHelpText('after', examples('aos keys list', 'aos keys list --principal alice --json'));
  addMinPositionOption(list).action(runner.wrap(listApiKeys));

  const revoke = keys
    .command('revoke')
    .description('revoke an API key: it is refused from the moment this command returns')
    .argument('<id>', 'API key id (from `aos keys list`)')
    .addHelpText('after', examples('aos keys revoke 0b7d2c1a-…'));
  addRequestIdOption(revoke).action(runner.wrap(revokeApiKey));
}
