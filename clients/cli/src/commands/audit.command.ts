import type { Command } from 'commander';
import type { Event, ExportEventsRequest, ListEventsRequest, Timestamp } from '@aos/contracts';
import type { PartialMessage } from '@aos/grpc-client';
import { UsageError, type ActionRunner, type CliContext } from '../cli-context';
import { actorRef, eventStreamTable, renderEventTable } from '../output/event.view';
import { choice, collect, parseIsoTime, parseNonNegativeInt, parsePositiveInt } from './option-parsers';
import { looksLikeId, nameRefsOf } from './name-ref';
import { fetchAllPages } from './pagination';

/** The filters `list` and `export` share (ListEventsRequest's and ExportEventsRequest's). */
interface FilterFlags {
  stream?: string;
  type?: string[];
  actor?: string;
  since?: Timestamp;
  until?: Timestamp;
  after?: number;
}

function filterFields(flags: FilterFlags, actorId: string) {
  return {
    stream: flags.stream ?? '',
    eventTypes: flags.type ?? [],
    actorId,
    ...(flags.since && { startTime: flags.since }),
    ...(flags.until && { endTime: flags.until }),
    afterPosition: flags.after ?? 0,
  };
}

function addFilterOptions(command: Command): Command {
  return command
    .option('--stream <stream>', 'only this stream, e.g. agent-<id>')
    .option('--type <type>', 'only this event type, e.g. AgentPaused (repeatable)', collect)
    .option('--actor <actor>', "only events caused by this actor: an id, or a principal's or agent's name")
    .option('--since <time>', 'only events at or after this ISO-8601 time', parseIsoTime)
    .option('--until <time>', 'only events before this ISO-8601 time', parseIsoTime)
    .option('--after <position>', 'only events after this log position', parseNonNegativeInt);
}

interface ListFlags extends FilterFlags {
  pageSize?: number;
  pageToken?: string;
  minPosition?: number;
  all?: boolean;
}

export function listEventsRequest(
  flags: ListFlags,
  pageToken: string,
  actorId = flags.actor ?? '',
): PartialMessage<ListEventsRequest> {
  return {
    ...filterFields(flags, actorId),
    pageSize: flags.pageSize ?? 0,
    pageToken,
    minPosition: flags.minPosition ?? 0,
  };
}

/**
 * `--actor`: an id as it is; a name is a principal's (people and services act
 * most), else an agent's.
 */
async function actorIdOf(ctx: CliContext, actor: string): Promise<string> {
  if (looksLikeId(actor)) return actor;
  const names = await nameRefsOf(ctx);
  try {
    return await names.idOf('principal', actor);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'NOT_FOUND') throw error;
    return names.idOf('agent', actor);
  }
}

/** The events as a table with their actors' names. */
async function eventTable(ctx: CliContext, events: readonly Event[]): Promise<string> {
  const refs = events.map(actorRef).filter((ref) => ref !== undefined);
  return renderEventTable(events, await (await nameRefsOf(ctx)).labels(refs));
}

async function listEvents(ctx: CliContext, flags: ListFlags): Promise<void> {
  const client = await ctx.connect();
  const actorId = flags.actor ? await actorIdOf(ctx, flags.actor) : '';
  const fetchPage = (pageToken: string) =>
    client.audit.listEvents(listEventsRequest(flags, pageToken, actorId), { signal: ctx.signal });
  if (flags.all) {
    const { items, lastPage } = await fetchAllPages(fetchPage, (page) => page.events, flags.pageToken);
    if (ctx.json) ctx.writeJson({ ...lastPage, events: items });
    else ctx.write((await eventTable(ctx, items)) + `${items.length} event(s)\n`);
    return;
  }
  const page = await fetchPage(flags.pageToken ?? '');
  if (ctx.json) {
    ctx.writeJson(page);
    return;
  }
  ctx.write(await eventTable(ctx, page.events));
  if (page.nextPageToken) ctx.write(`more: --page-token ${page.nextPageToken} (or --all)\n`);
}

async function replayEvents(
  ctx: CliContext,
  flags: { after?: number; follow?: boolean; category?: string },
): Promise<void> {
  const client = await ctx.connect();
  const table = eventStreamTable();
  if (!ctx.json) ctx.write(table.header());
  const stream = client.audit.replayEvents(
    { afterPosition: flags.after ?? 0, follow: flags.follow === true, category: flags.category ?? '' },
    { signal: ctx.signal },
  );
  const names = await nameRefsOf(ctx);
  for await (const event of stream) {
    if (ctx.json) ctx.writeJsonLine(event);
    else ctx.write(table.row({ event, labels: await names.labels([actorRef(event)].filter((r) => r !== undefined)) }));
  }
}

interface ExportFlags extends FilterFlags {
  format: 'JSONL' | 'CSV';
  through?: number;
  out?: string;
}

/**
 * `aos audit export`: the file's bytes to stdout, or to --out (written to
 * `<out>.partial` and renamed when the last chunk has arrived, so a file with
 * the name is always whole); what it covers goes to stderr.
 */
async function exportEvents(ctx: CliContext, flags: ExportFlags): Promise<void> {
  const client = await ctx.connect();
  const request: PartialMessage<ExportEventsRequest> = {
    format: `EXPORT_FORMAT_${flags.format}` as ExportEventsRequest['format'],
    ...filterFields(flags, flags.actor ? await actorIdOf(ctx, flags.actor) : ''),
    untilPosition: flags.through ?? 0,
  };
  const { open, rename, rm } = await import('node:fs/promises');
  const target = flags.out ? await ctx.resolvePath(flags.out) : undefined;
  const partial = target && `${target}.partial`;
  const file = partial
    ? await open(partial, 'w').catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot write ${flags.out}: ${error.code ?? String(error)}`);
      })
    : undefined;
  // A chunk may end inside a UTF-8 character: decode as a stream for stdout.
  const decoder = new TextDecoder('utf-8');
  try {
    for await (const chunk of client.audit.exportEvents(request, { signal: ctx.signal })) {
      if (file) await file.write(chunk.data);
      else ctx.write(decoder.decode(chunk.data, { stream: true }));
      if (chunk.last) {
        const range = chunk.eventCount > 0 ? `positions ${chunk.firstPosition}-${chunk.lastPosition}` : 'no events';
        ctx.note(
          `exported ${chunk.eventCount} event(s), ${range}, read through position ${chunk.throughPosition}${flags.out ? ` to ${flags.out}` : ''}`,
        );
      }
    }
    if (!file) ctx.write(decoder.decode());
  } catch (error) {
    if (file) await file.close().then(() => rm(partial!, { force: true }));
    throw error;
  }
  if (file) {
    await file.close();
    await rename(partial!, target!);
  }
}

export function registerAuditCommand(program: Command, runner: ActionRunner): void {
  const audit = program.command('audit').description('read the event log: every decision, action and outcome');

  addFilterOptions(audit.command('list').description('list events in log order'))
    .option('--page-size <n>', 'events per page, 1-1000 (server default 100)', parsePositiveInt)
    .option('--page-token <token>', 'continue from a previous page')
    .option('--min-position <position>', 'wait until the audit index has seen this log position', parseNonNegativeInt)
    .option('--all', 'follow the pages to the end')
    .action(runner.wrap(listEvents));

  audit
    .command('replay')
    .description('stream the log from a position; with --follow keep streaming new events (Ctrl-C to stop)')
    .option('--after <position>', 'start after this log position (default: the beginning)', parseNonNegativeInt)
    .option('--follow', 'keep the stream open for new events')
    .option('--category <category>', 'only this stream category, e.g. agent')
    .action(runner.wrap(replayEvents));

  const exporter = audit
    .command('export')
    .description(
      'write the events (filtered as list) to a file in log order: JSON Lines (one event per line in proto3 JSON) or RFC 4180 CSV (position,time,type,stream,actor,request_id,data); secrets redacted as in list; needs audit.replay',
    )
    .requiredOption('--format <format>', 'jsonl or csv', choice(['JSONL', 'CSV'] as const));
  addFilterOptions(exporter)
    .option(
      '--through <position>',
      'only events at or before this log position (default: the newest at the start)',
      parseNonNegativeInt,
    )
    .option('--out <file>', 'write to this file (default: standard output)')
    .action(runner.wrap(exportEvents));
}
