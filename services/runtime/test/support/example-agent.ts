import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const REPO_ROOT = join(import.meta.dirname, '../../../..');

export interface ExampleAgentProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs clients/agent-example as a child process against a stack with `args`
 * (e.g. `--agent <id> --tool <name>`); resolves once it has attached, rejects
 * if it exits first.
 */
export async function startExampleAgent(
  args: string[],
  stack: { gatewayAddr: string; apiKey: string },
): Promise<ExampleAgentProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'clients/agent-example/src/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, AOS_GATEWAY_ADDR: stack.gatewayAddr, AOS_API_KEY: stack.apiKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => output.includes('attached as') && resolve());
    child.once('exit', (code) => reject(new Error(`the example exited (${code}): ${output}`)));
  });
  return {
    child,
    output: () => output,
    stop: () => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      return exited;
    },
  };
}
