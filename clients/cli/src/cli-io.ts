import { homedir } from 'node:os';
import type { CliEnvironment } from './cli-config';

/** Everything the CLI touches outside itself, so it can run in-process in tests. */
export interface CliIo extends CliEnvironment {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Aborting cancels the call in flight; a --follow stream then ends cleanly. */
  signal?: AbortSignal;
  /** All of standard input, for options that read `-` (e.g. `aos tools register --schema -`). */
  readStdin(): Promise<string>;
  /**
   * One line the person types after `prompt` (e.g. a confirmation); without
   * it, the first line of standard input answers (scripts, in-process tests).
   */
  readLine?(prompt: string): Promise<string>;
}

export function processIo(signal?: AbortSignal): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    homeDir: homedir(),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    readLine: async (prompt) => {
      const { createInterface } = await import('node:readline');
      // The prompt goes to stderr, so stdout stays what the command prints.
      const lines = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY });
      return new Promise<string>((resolve) => {
        // Standard input ending (or Ctrl-C) before a line is an empty answer, never a hang.
        lines.once('close', () => resolve(''));
        lines.once('SIGINT', () => lines.close());
        signal?.addEventListener('abort', () => lines.close(), { once: true });
        lines.question(prompt, (answer) => {
          resolve(answer);
          lines.close();
        });
      });
    },
    ...(signal && { signal }),
  };
}
