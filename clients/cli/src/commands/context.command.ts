import type { Command } from 'commander';
import type { ContextEntry } from '@aos/contracts';
import { UsageError, type ActionRunner, type CliContext } from '../cli-context';
import { contextChangeTable, renderContextEntry, renderContextTable } from '../output/context.view';
import {
  addExpectedVersionOption,
  addMinPositionOption,
  addRequestIdOption,
  examples,
  requestIdOf,
  type ExpectedVersionFlags,
  type MinPositionFlags,
  type RequestIdFlags,
} from './command-options';
import { parseNonNegativeInt, parseVersionedId, type VersionedId } from './option-parsers';
import { EVERY_PAGE, printPagedList } from './pagination';

/**
 * `aos context`: the tenant's shared context, JSON values by scope and key.
 * Scopes and keys are checked by the server (its message names the field);
 * the CLI checks only that a value is JSON, so a typo costs no call.
 */

/**
 * The JSON text of a `put` value argument: the JSON itself, `@<file>`, or `-`
 * for standard input (neither `@` nor `-` can begin a JSON document).
 * Sent as written; a UsageError when it is not JSON.
 */
export async function readContextValue(ctx: Pick<CliContext, 'readInput'>, argument: string): Promise<string> {
  const fromInput = argument === '-' || argument.startsWith('@');
  const source = argument === '-' ? 'standard input' : fromInput ? argument.slice(1) : 'the value';
  const text = fromInput ? await ctx.readInput(argument === '-' ? '-' : argument.slice(1)) : argument;
  try {
    JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${source} is not JSON (${(error as Error).message}); a string needs quotes, e.g. '"ready"', ` +
        'and a file is given as @file',
    );
  }
  return text;
}

function printEntry(ctx: CliContext, entry: ContextEntry): void {
  if (ctx.json) ctx.writeJson(entry);
  else ctx.write(renderContextEntry(entry));
}

type WriteFlags = RequestIdFlags & ExpectedVersionFlags;

async function putContext(ctx: CliContext, scope: string, key: string, value: string, flags: WriteFlags) {
  const valueJson = await readContextValue(ctx, value);
  const client = await ctx.connect();
  const entry = await client.context.putContext(
    { scope, key, valueJson, expectedVersion: flags.expectedVersion, requestId: requestIdOf(flags) },
    { signal: ctx.signal },
  );
  printEntry(ctx, entry);
}

async function getContext(ctx: CliContext, scope: string, key: VersionedId, flags: MinPositionFlags): Promise<void> {
  const client = await ctx.connect();
  const entry = await client.context.getContext(
    { scope, key: key.id, version: key.version, minPosition: flags.minPosition ?? 0 },
    { signal: ctx.signal },
  );
  printEntry(ctx, entry);
}

async function listContext(ctx: CliContext, scope: string, flags: MinPositionFlags & { prefix?: string }) {
  const client = await ctx.connect();
  await printPagedList(ctx, EVERY_PAGE, {
    fetchPage: (pageToken: string) =>
      client.context.listContext(
        { scope, keyPrefix: flags.prefix ?? '', pageToken, minPosition: flags.minPosition ?? 0 },
        { signal: ctx.signal },
      ),
    field: 'entries',
    itemsOf: (page) => page.entries,
    render: renderContextTable,
    noun: 'key',
  });
}

async function watchContext(ctx: CliContext, scope: string, flags: { prefix?: string; after?: number }) {
  const client = await ctx.connect();
  const table = contextChangeTable();
  if (!ctx.json) ctx.write(table.header());
  const changes = client.context.watchContext(
    { scope, keyPrefix: flags.prefix ?? '', afterPosition: flags.after ?? 0 },
    { signal: ctx.signal },
  );
  for await (const change of changes) {
    if (ctx.json) ctx.writeJsonLine(change);
    else ctx.write(table.row(change));
  }
}

async function deleteContext(ctx: CliContext, scope: string, key: string, flags: WriteFlags): Promise<void> {
  const client = await ctx.connect();
  const entry = await client.context.deleteContext(
    { scope, key, expectedVersion: flags.expectedVersion, requestId: requestIdOf(flags) },
    { signal: ctx.signal },
  );
  printEntry(ctx, entry);
}

const SCOPE_ARGUMENT = ['<scope>', 'tenant, team/<label> or task/<correlation-id>'] as const;
const KEY_ARGUMENT = ['<key>', '1-128 characters of [A-Za-z0-9._:-]'] as const;

export function registerContextCommand(program: Command, runner: ActionRunner): void {
  const context = program
    .command('context')
    .description('shared context: JSON values by scope and key that agents and people read and write')
    .addHelpText(
      'after',
      `
Scopes: "tenant" (the whole tenant), "team/<label>" (agents whose label team
names it), "task/<correlation-id>" (the agents working on one request).
Every put or rm makes a new version; with --expected-version a write fails
with ABORTED (exit 1) when someone else changed the entry since you read it.
`,
    );

  const put = context
    .command('put')
    .description('set a value (a new version of the entry)')
    .argument(...SCOPE_ARGUMENT)
    .argument(...KEY_ARGUMENT)
    .argument('<value>', 'a JSON document (at most 64 KiB), @file to read it from a file, or - for standard input');
  addExpectedVersionOption(put, 'the entry is at version n (0: it must not exist)').addHelpText(
    'after',
    examples(
      `aos context put tenant release.freeze '{"until": "2025-02-01"}'`,
      `aos context put team/sales quarter.goal '"close 40 deals"' --expected-version 3`,
      'aos context put task/4b1d… plan @plan.json',
      `echo '[1, 2, 3]' | aos context put tenant numbers -`,
    ),
  );
  addRequestIdOption(put).action(runner.wrap(putContext));

  const get = context
    .command('get')
    .description('show an entry and its value (the current version, or <key>@<version>)')
    .argument(...SCOPE_ARGUMENT)
    .argument('<key>', 'the key, or key@version for that version', parseVersionedId)
    .addHelpText(
      'after',
      examples(
        'aos context get tenant release.freeze',
        'aos context get tenant release.freeze@2',
        'aos context get tenant release.freeze --json | jq -r .valueJson',
      ),
    );
  addMinPositionOption(get).action(runner.wrap(getContext));

  const list = context
    .command('list')
    .description("list a scope's entries (not deleted) by key, every page")
    .argument(...SCOPE_ARGUMENT)
    .option('--prefix <prefix>', 'only keys starting with this')
    .addHelpText('after', examples('aos context list tenant', 'aos context list team/sales --prefix quarter. --json'));
  addMinPositionOption(list).action(runner.wrap(listContext));

  context
    .command('watch')
    .description("print each change of a scope's entries as it happens, one a line (Ctrl-C to stop)")
    .argument(...SCOPE_ARGUMENT)
    .option('--prefix <prefix>', 'only keys starting with this')
    .option(
      '--after <position>',
      'first replay the changes after this log position, e.g. the LOG POSITION a put printed (default: only changes from now on)',
      parseNonNegativeInt,
    )
    .addHelpText(
      'after',
      examples(
        'aos context watch tenant',
        'aos context watch task/4b1d… --prefix plan --after 1200 --json   # JSON Lines',
      ),
    )
    .action(runner.wrap(watchContext));

  const rm = context
    .command('rm')
    .description('delete an entry (a new version without a value)')
    .argument(...SCOPE_ARGUMENT)
    .argument(...KEY_ARGUMENT);
  addExpectedVersionOption(rm, 'the entry is at version n').addHelpText(
    'after',
    examples('aos context rm tenant release.freeze', 'aos context rm tenant release.freeze --expected-version 4'),
  );
  addRequestIdOption(rm).action(runner.wrap(deleteContext));
}
