import { loadConfig } from '@aos/config';
import { runService } from '@aos/launcher';
import { startLifecycle } from './bootstrap';

// Shutdown hooks off: runService closes the service on SIGTERM/SIGINT.
await runService('lifecycle', () => startLifecycle(loadConfig(), { shutdownHooks: false }));
