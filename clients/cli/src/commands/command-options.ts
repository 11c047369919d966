import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { parseNonNegativeInt, parsePositiveInt } from './option-parsers';

/** Flags shared by the governance commands, declared once so their help reads the same everywhere. */

export interface RequestIdFlags {
  requestId?: string;
}

export function addRequestIdOption(command: Command): Command {
  return command.option(
    '--request-id <id>',
    'idempotency key: resending the same id changes nothing twice (default: a fresh UUID)',
  );
}

export function requestIdOf(flags: RequestIdFlags): string {
  return flags.requestId ?? randomUUID();
}

export interface MinPositionFlags {
  minPosition?: number;
}

export function addMinPositionOption(command: Command): Command {
  return command.option(
    '--min-position <position>',
    'wait until the server has seen this log position (read your own write)',
    parseNonNegativeInt,
  );
}

export interface ExpectedVersionFlags {
  expectedVersion?: number;
}

/** `--expected-version <n>` of documents and context entries; `what` completes "fail with ABORTED unless …". */
export function addExpectedVersionOption(command: Command, what: string): Command {
  return command.option('--expected-version <n>', `fail with ABORTED unless ${what}`, parseNonNegativeInt);
}

export interface PageFlags {
  pageSize?: number;
  pageToken?: string;
  all?: boolean;
}

export function addPageOptions(command: Command, noun: string): Command {
  return command
    .option('--page-size <n>', `${noun} per page (default: the server's)`, parsePositiveInt)
    .option('--page-token <token>', 'continue from a previous page')
    .option('--all', 'follow the pages to the end');
}

/** Help text listing example invocations, shown after the options. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}
