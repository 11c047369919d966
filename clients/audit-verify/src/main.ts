import { runAuditVerify } from './verify-bundle.command';

// `aos-audit-verify … | head` closes the pipe early; the exit status is already decided.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

process.exitCode = await runAuditVerify(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
});
