import { runCli } from '../src/main';

/** One `aos` run in this process: what it printed and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface InProcessOptions {
  env: NodeJS.ProcessEnv;
  /** The working directory (relative paths resolve against it) and the home (no config file in it). */
  dir: string;
  stdin?: string;
  /** Aborting it is Ctrl-C: the call in flight is cancelled, a watch ends cleanly. */
  signal?: AbortSignal;
  /** Called with each piece of stdout as it is written (for a watch). */
  onStdout?: (text: string) => void;
}

/**
 * Runs `aos <args…>` through the CLI's own entry point (runCli, which
 * bin/aos.mjs calls) with its output captured: the same parsing, calls,
 * output and exit codes as the binary, without a process start per command.
 */
export async function runAosInProcess(args: readonly string[], options: InProcessOptions): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (text) => {
      stdout += text;
      options.onStdout?.(text);
    },
    stderr: (text) => {
      stderr += text;
    },
    env: options.env,
    cwd: options.dir,
    homeDir: options.dir,
    readStdin: async () => options.stdin ?? '',
    ...(options.signal && { signal: options.signal }),
  });
  return { code, stdout, stderr };
}
