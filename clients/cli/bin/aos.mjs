#!/usr/bin/env node
/* global AbortController */
// Runs the TypeScript sources through tsx, as every AgentOS process does, so the
// CLI needs no build step. The repo tsconfig supplies the @aos/* path aliases.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: join(dirname(fileURLToPath(import.meta.url)), '../../../tsconfig.json') });

// `aos … | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// The first Ctrl-C cancels the call in flight (a --follow stream ends cleanly),
// a second one exits at once.
const interrupted = new AbortController();
process.on('SIGINT', () => {
  if (interrupted.signal.aborted) process.exit(130);
  interrupted.abort();
});

const { runCli, processIo } = await import('../src/main.ts');
process.exitCode = await runCli(process.argv.slice(2), processIo(interrupted.signal));
