import { loadConfig } from '@aos/config';
import { runService } from '@aos/launcher';
import { startGovernance } from './bootstrap';

// Shutdown hooks off: runService closes the service on SIGTERM/SIGINT.
await runService('governance', () => startGovernance(loadConfig(), { shutdownHooks: false }));
