import { loadConfig } from '@aos/config';
import { signalReady } from '@aos/launcher';
import { startLifecycle } from './bootstrap';

// Runs the lifecycle service as its own process; Nest closes it on SIGTERM/SIGINT.
try {
  await startLifecycle(loadConfig());
  signalReady('lifecycle');
} catch (err) {
  process.stderr.write(`lifecycle failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
