import type { Command } from 'commander';
import type { AosClient } from '@aos/grpc-client';
import { requireApiKey, resolveCliConfig } from './cli-config';
import type { CliIo } from './cli-io';

/** The options every command accepts (declared on the program). */
export interface GlobalOptions {
  addr?: string;
  key?: string;
  config?: string;
  json?: boolean;
  timeout?: number;
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** `aos access check`: the call worked and the answer is "not allowed". */
export const EXIT_NOT_ALLOWED = 3;
/** `aos tasks submit --wait` and `aos tasks watch`: the task ended FAILED or CANCELLED. */
export const EXIT_TASK_UNSUCCESSFUL = 4;

/** Thrown by a command whose flags parse but do not make sense together (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

type ClientModule = typeof import('@aos/grpc-client');

/** One command invocation: its options, its output and (lazily) its gateway client. */
export class CliContext {
  private clientModule: ClientModule | undefined;
  private client: AosClient | undefined;

  constructor(
    private readonly io: CliIo,
    readonly options: GlobalOptions,
  ) {}

  get json(): boolean {
    return this.options.json === true;
  }

  get signal(): AbortSignal | undefined {
    return this.io.signal;
  }

  /** A call's deadline: --timeout when given, else `longMs` (for calls known to run long, e.g. VerifyLog). */
  deadlineOr(longMs: number): number {
    return this.options.timeout ?? longMs;
  }

  /**
   * The client is loaded on first use: the protos and generated contracts take
   * most of a second to import, which `--help` and usage errors should not pay.
   */
  async connect(): Promise<AosClient> {
    if (this.client) return this.client;
    const config = resolveCliConfig(this.options, this.io);
    const apiKey = requireApiKey(config);
    this.clientModule = await import('@aos/grpc-client');
    this.client = this.clientModule.createAosClient({
      address: config.addr,
      apiKey,
      ...(this.options.timeout !== undefined && { deadlineMs: this.options.timeout }),
    });
    return this.client;
  }

  /** A file the user named (relative to the working directory), or standard input for `-`. */
  async readInput(path: string): Promise<string> {
    if (path === '-') return this.io.readStdin();
    const { readFile } = await import('node:fs/promises');
    const { resolve } = await import('node:path');
    try {
      return await readFile(resolve(this.io.cwd, path), 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }

  /** The person's answer to `question` (one line, trimmed); standard input's first line when nobody is asked. */
  async ask(question: string): Promise<string> {
    if (this.io.readLine) return (await this.io.readLine(question)).trim();
    this.io.stderr(question);
    return ((await this.io.readStdin()).split('\n', 1)[0] ?? '').trim();
  }

  /** A path the user named, relative to the working directory. */
  async resolvePath(path: string): Promise<string> {
    const { resolve } = await import('node:path');
    return resolve(this.io.cwd, path);
  }

  write(text: string): void {
    this.io.stdout(text);
  }

  /** A line for the person at the terminal, on stderr beside output a script reads (e.g. an export on stdout). */
  note(text: string): void {
    this.io.stderr(`${text}\n`);
  }

  /** A note for the person at the terminal, on stderr so it never mixes into output a script reads. */
  warn(text: string): void {
    this.io.stderr(`warning: ${text}\n`);
  }

  /** One reply as one JSON document. */
  writeJson(value: unknown): void {
    this.io.stdout(JSON.stringify(value, null, 2) + '\n');
  }

  /** One streamed message per line (JSON Lines). */
  writeJsonLine(value: unknown): void {
    this.io.stdout(JSON.stringify(value) + '\n');
  }

  /** Prints the one-line message for a failed command and returns its exit code. */
  report(error: unknown): number {
    if (this.clientModule && error instanceof this.clientModule.AosClientError) {
      this.io.stderr(`error: ${error.code}: ${oneLine(error.details)}\n`);
      return EXIT_FAILURE;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.io.stderr(`error: ${oneLine(message)}\n`);
    // Config problems (CliConfigError) and anything unexpected exit 1 like a failed call.
    return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
  }

  close(): void {
    this.client?.close();
  }
}

/** Wraps command handlers so each runs with a context, and records the exit code. */
export class ActionRunner {
  exitCode = 0;

  constructor(private readonly io: CliIo) {}

  /** A handler may resolve to an exit code for an outcome that is not an error (e.g. access denied). */
  wrap<Args extends unknown[]>(handler: (ctx: CliContext, ...args: Args) => Promise<void | number>) {
    return async (...commanderArgs: unknown[]): Promise<void> => {
      // Commander passes the positional arguments, the command's options, then the command.
      const command = commanderArgs[commanderArgs.length - 1] as Command;
      const ctx = new CliContext(this.io, command.optsWithGlobals<GlobalOptions>());
      try {
        const exitCode = await handler(ctx, ...(commanderArgs.slice(0, -1) as Args));
        if (typeof exitCode === 'number') this.exitCode = exitCode;
      } catch (error) {
        this.exitCode = ctx.report(error);
      } finally {
        ctx.close();
      }
    };
  }
}

/** Scripts read the error as one line; grpc-js details can carry newlines and trailing blanks. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
