import type { Command } from 'commander';
import type { Event, ListEventsRequest, Timestamp } from '@aos/contracts';
import type { PartialMessage } from '@aos/grpc-client';
import type { ActionRunner, CliContext } from '../cli-context';
import { actorRef, eventStreamTable, renderEventTable } from '../output/event.view';
import { collect, parseIsoTime, parseNonNegativeInt, parsePositiveInt } from './option-parsers';
import { looksLikeId, nameRefsOf } from './name-ref';
import { fetchAllPages } from './pagination';

interface ListFlags {
  stream?: string;
  type?: string[];
  actor?: string;
  since?: Timestamp;
  until?: Timestamp;
  after?: number;
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
    stream: flags.stream ?? '',
    eventTypes: flags.type ?? [],
    actorId,
    ...(flags.since && { startTime: flags.since }),
    ...(flags.until && { endTime: flags.until }),
    afterPosition: flags.after ?? 0,
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

export function registerAuditCommand(program: Command, runner: ActionRunner): void {
  const audit = program.command('audit').description('read the event log: every decision, action and outcome');

  audit
    .command('list')
    .description('list events in log order')
    .option('--stream <stream>', 'only this stream, e.g. agent-<id>')
    .option('--type <type>', 'only this event type, e.g. AgentPaused (repeatable)', collect)
    .option('--actor <actor>', "only events caused by this actor: an id, or a principal's or agent's name")
    .option('--since <time>', 'only events at or after this ISO-8601 time', parseIsoTime)
    .option('--until <time>', 'only events before this ISO-8601 time', parseIsoTime)
    .option('--after <position>', 'only events after this log position', parseNonNegativeInt)
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
}
