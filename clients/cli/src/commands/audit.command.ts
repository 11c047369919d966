import type { Command } from 'commander';
import type {
  Event,
  ExportEventsRequest,
  InclusionProof,
  ListEventsRequest,
  LogCheckpoint,
  Timestamp,
  VerifyLogResponse,
} from '@aos/contracts';
import type { PartialMessage } from '@aos/grpc-client';
import { EXIT_FAILURE, UsageError, type ActionRunner, type CliContext } from '../cli-context';
import { actorRef, eventStreamTable, renderEventTable } from '../output/event.view';
import { choice, collect, parseIsoTime, parseNonNegativeInt, parsePositiveInt } from './option-parsers';
import { looksLikeId, nameRefsOf } from './name-ref';
import { fetchAllPages } from './pagination';

/** VerifyLog and signing may read and hash a whole tenant's log (the gateway allows VerifyLog 10 min). */
const LONG_CALL_MS = 10 * 60_000;

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
  format: 'JSONL' | 'CSV' | 'BUNDLE';
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
        if (flags.format === 'BUNDLE') {
          ctx.note(`verify it offline with the log's key: aos audit verify ${flags.out ?? '<file>'} --key @log.key`);
        }
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

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/**
 * `--key <key|@file>` of `aos audit verify`. The program's own --key (the API
 * key) takes the flag wherever it stands, so the value arrives as that global
 * option; this command calls no server, so it only ever means the log's key.
 */
async function trustedKeyOf(ctx: CliContext, value: string | undefined): Promise<string | undefined> {
  if (value === undefined || !value.startsWith('@')) return value;
  return (await ctx.readInput(value.slice(1))).trim();
}

/** `aos audit verify <bundle>`: the offline check of aos-audit-verify (verifyBundle), no server. */
async function verifyBundleFile(ctx: CliContext, bundle: string, flags: { trustBundleKey?: boolean }): Promise<number> {
  const trustedKey = await trustedKeyOf(ctx, ctx.options.key);
  if (trustedKey === undefined && !flags.trustBundleKey) {
    throw new UsageError("--key is required: the log's verifier key (aos audit key), or @file holding it");
  }
  const { BundleOptionsError, describeBundleVerification, verifyBundle } = await import('@aos/merkle-log');
  const { createReadStream } = await import('node:fs');
  const { stat } = await import('node:fs/promises');
  const { createInterface } = await import('node:readline');
  const path = await ctx.resolvePath(bundle);
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${bundle}: ${error.code ?? String(error)}`);
  });
  if (!info.isFile()) throw new UsageError(`${bundle} is not a file`);
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    const result = await verifyBundle(lines, {
      ...(trustedKey !== undefined && { trustedKey }),
      trustBundleKey: flags.trustBundleKey === true,
    });
    if (ctx.json) ctx.writeJson(result);
    else ctx.write(describeBundleVerification(result));
    return result.ok ? 0 : EXIT_FAILURE;
  } catch (error) {
    if (error instanceof BundleOptionsError) throw new UsageError(error.message);
    throw error;
  }
}

/** `aos audit key`: the verifier key alone on stdout (`aos audit key > log.key`), or the PEM. */
async function logKey(ctx: CliContext, flags: { pem?: boolean }): Promise<void> {
  const client = await ctx.connect();
  const key = await client.audit.getLogKey({}, { signal: ctx.signal });
  if (ctx.json) ctx.writeJson(key);
  else {
    ctx.write(flags.pem ? key.publicKeyPem : `${key.verifierKey}\n`);
    ctx.note(
      `log ${key.logName}, your tenant's origin ${key.origin}; keep this key apart from the log and its exports`,
    );
  }
}

function checkpointJson(checkpoint: LogCheckpoint) {
  return { ...checkpoint, rootHash: base64(checkpoint.rootHash) };
}

/** `aos audit checkpoint`: the signed note on stdout (a file for --trusted-checkpoint), what it covers on stderr. */
async function checkpoint(ctx: CliContext, flags: { create?: boolean; size?: number }): Promise<void> {
  if (flags.create && flags.size !== undefined) {
    throw new UsageError('--create signs the log as it is now: it takes no --size');
  }
  const client = await ctx.connect();
  const reply = flags.create
    ? await client.audit.createCheckpoint({}, { signal: ctx.signal, deadlineMs: ctx.deadlineOr(LONG_CALL_MS) })
    : await client.audit.getCheckpoint({ treeSize: flags.size ?? 0 }, { signal: ctx.signal });
  if (ctx.json) {
    ctx.writeJson(checkpointJson(reply));
    return;
  }
  ctx.write(reply.note);
  ctx.note(
    `${reply.origin}: tree size ${reply.treeSize}, root ${base64(reply.rootHash)}, last event at position ${reply.lastPosition}, recorded at position ${reply.position}`,
  );
}

interface VerifyLogFlags {
  after?: number;
  until?: number;
  trustedCheckpoint?: string;
}

function verifyLogText(reply: VerifyLogResponse): string {
  const verified =
    reply.verifiedTreeSize > 0
      ? `verified through tree size ${reply.verifiedTreeSize} (position ${reply.verifiedPosition})`
      : 'no checkpoint verified';
  const counts = `${reply.eventsChecked} event(s) read, ${reply.checkpointsChecked} checkpoint(s) checked, ${verified}; ${reply.unverifiedEvents} event(s) after the newest checkpoint not yet covered`;
  if (reply.ok) return `ok: ${counts}\n`;
  return `NOT OK: first bad position ${reply.firstBadPosition}: ${reply.problem}\n${reply.reason}\n(${counts})\n`;
}

/** `aos audit verify-log`: the server recomputes the tenant's tree from the log; exit 1 when it does not hold. */
async function verifyLog(ctx: CliContext, flags: VerifyLogFlags): Promise<number> {
  const note = flags.trustedCheckpoint?.startsWith('@')
    ? await ctx.readInput(flags.trustedCheckpoint.slice(1))
    : (flags.trustedCheckpoint ?? '');
  const client = await ctx.connect();
  const reply = await client.audit.verifyLog(
    { afterPosition: flags.after ?? 0, untilPosition: flags.until ?? 0, trustedCheckpoint: note },
    { signal: ctx.signal, deadlineMs: ctx.deadlineOr(LONG_CALL_MS) },
  );
  if (ctx.json) ctx.writeJson({ ...reply, rootHash: base64(reply.rootHash) });
  else ctx.write(verifyLogText(reply));
  return reply.ok ? 0 : EXIT_FAILURE;
}

function proofJson(proof: InclusionProof) {
  return {
    ...proof,
    leafHash: base64(proof.leafHash),
    hashes: proof.hashes.map(base64),
    rootHash: base64(proof.rootHash),
  };
}

/** `aos audit proof`: the inclusion proof of one event, base64 hashes. */
async function inclusionProof(ctx: CliContext, flags: { position: number; size?: number }): Promise<void> {
  const client = await ctx.connect();
  const proof = proofJson(
    await client.audit.getInclusionProof(
      { position: flags.position, treeSize: flags.size ?? 0 },
      { signal: ctx.signal },
    ),
  );
  if (ctx.json) {
    ctx.writeJson(proof);
    return;
  }
  ctx.write(
    [
      `leaf index ${proof.leafIndex} of a tree of ${proof.treeSize}`,
      `leaf hash  ${proof.leafHash}`,
      `root       ${proof.rootHash}`,
      `proof      ${proof.hashes.length} hash(es), bottom-up:`,
      ...proof.hashes.map((hash) => `  ${hash}`),
      '',
    ].join('\n') + (proof.checkpointNote ? `checkpoint:\n${proof.checkpointNote}` : ''),
  );
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
      'write the events (filtered as list) to a file in log order: JSON Lines (one event per line in proto3 JSON), RFC 4180 CSV (position,time,type,stream,actor,request_id,data), or a bundle (a signed checkpoint, each sealed event with its inclusion proof; check it with aos audit verify); secrets redacted as in list (sealed in a bundle); needs audit.replay',
    )
    .requiredOption('--format <format>', 'jsonl, csv or bundle', choice(['JSONL', 'CSV', 'BUNDLE'] as const));
  addFilterOptions(exporter)
    .option(
      '--through <position>',
      'only events at or before this log position (default: the newest at the start)',
      parseNonNegativeInt,
    )
    .option('--out <file>', 'write to this file (default: standard output)')
    .action(runner.wrap(exportEvents));

  audit
    .command('verify')
    .description(
      "check an audit bundle (aos audit export --format bundle) offline against the log's key: the signed checkpoint, every event's inclusion proof, no line changed, deleted, moved, inserted or cut off; calls no server (the same check as the standalone aos-audit-verify). Exit 0 verified, 1 not verified (prints the first bad line, index, position and why), 2 usage",
    )
    .argument('<bundle>', 'the bundle file (JSON Lines)')
    .option(
      '--key <verifier-key>',
      "the log's verifier key (aos audit key), or @file holding it; here --key is the log's key, not an API key. Get it apart from the bundle",
    )
    .option(
      '--trust-bundle-key',
      "without --key, use the key in the bundle's header: shows only that the file is self-consistent",
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ aos audit key > log.key\n  $ aos audit export --format bundle --out audit.bundle.jsonl\n  $ aos audit verify audit.bundle.jsonl --key @log.key\n',
    )
    .action(runner.wrap(verifyBundleFile));

  audit
    .command('key')
    .description(
      "print the log's verifier key (GetLogKey), the key every checkpoint is signed with, for aos audit verify --key; keep it apart from the log",
    )
    .option('--pem', 'print the public key as PEM instead')
    .action(runner.wrap(logKey));

  audit
    .command('checkpoint')
    .description(
      "print your tenant's newest signed checkpoint (GetCheckpoint), or the one of --size, as its signed note; with --create sign one of the log as it is now (CreateCheckpoint, needs audit.replay). Keep a note to pass to verify-log --trusted-checkpoint",
    )
    .option('--create', 'sign a checkpoint of the whole log now')
    .option('--size <n>', 'the checkpoint of this tree size (default: the newest)', parsePositiveInt)
    .action(runner.wrap(checkpoint));

  audit
    .command('verify-log')
    .description(
      "have the server recompute your tenant's Merkle tree from the log and check every signed checkpoint on the way (VerifyLog, needs audit.replay); prints ok or the first bad position and why. Exit 1 when the log does not hold",
    )
    .option('--after <position>', 'only check checkpoints covering events after this position', parseNonNegativeInt)
    .option('--until <position>', 'read up to this position (default: the log head)', parseNonNegativeInt)
    .option(
      '--trusted-checkpoint <note>',
      'a checkpoint note you kept (@file, e.g. from aos audit checkpoint > cp.note): the log must hold exactly that tree',
    )
    .action(runner.wrap(verifyLog));

  audit
    .command('proof')
    .description('print the inclusion proof (RFC 9162) of the event at a log position (GetInclusionProof)')
    .requiredOption('--position <position>', "the event's log position", parsePositiveInt)
    .option('--size <n>', 'in the tree of this size (default: the newest checkpoint)', parsePositiveInt)
    .action(runner.wrap(inclusionProof));
}
