import type { Command } from 'commander';
import type { ListEventsRequest, Timestamp } from '@aos/contracts';
import type { PartialMessage } from '@aos/grpc-client';
import type { ActionRunner, CliContext } from '../cli-context';
import { eventStreamTable, renderEventTable } from '../output/event.view';
import { collect, parseIsoTime, parseNonNegativeInt, parsePositiveInt } from './option-parsers';
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

export function listEventsRequest(flags: ListFlags, pageToken: string): PartialMessage<ListEventsRequest> {
  return {
    stream: flags.stream ?? '',
    eventTypes: flags.type ?? [],
    actorId: flags.actor ?? '',
    ...(flags.since && { startTime: flags.since }),
    ...(flags.until && { endTime: flags.until }),
    afterPosition: flags.after ?? 0,
    pageSize: flags.pageSize ?? 0,
    pageToken,
    minPosition: flags.minPosition ?? 0,
  };
}

async function listEvents(ctx: CliContext, flags: ListFlags): Promise<void> {
  const client = await ctx.connect();
  const fetchPage = (pageToken: string) =>
    client.audit.listEvents(listEventsRequest(flags, pageToken), { signal: ctx.signal });
  if (flags.all) {
    const { items, lastPage } = await fetchAllPages(fetchPage, (page) => page.events, flags.pageToken);
    if (ctx.json) ctx.writeJson({ ...lastPage, events: items });
    else ctx.write(renderEventTable(items) + `${items.length} event(s)\n`);
    return;
  }
  const page = await fetchPage(flags.pageToken ?? '');
  if (ctx.json) {
    ctx.writeJson(page);
    return;
  }
  ctx.write(renderEventTable(page.events));
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
  for await (const event of stream) {
    if (ctx.json) ctx.writeJsonLine(event);
    else ctx.write(table.row(event));
  }
}

export function registerAuditCommand(program: Command, runner: ActionRunner): void {
  const audit = program.command('audit').description('read the event log: every decision, action and outcome');

  audit
    .command('list')
    .description('list events in log order')
    .option('--stream <stream>', 'only this stream, e.g. agent-<id>')
    .option('--type <type>', 'only this event type, e.g. AgentPaused (repeatable)', collect)
    .option('--actor <id>', 'only events caused by this actor id')
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
