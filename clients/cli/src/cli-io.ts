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
    ...(signal && { signal }),
  };
}
