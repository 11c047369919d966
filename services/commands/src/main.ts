import { loadConfig } from '@aos/config';
import { runService } from '@aos/launcher';
import { startCommands } from './bootstrap';

// Shutdown hooks off: runService closes the service on SIGTERM/SIGINT. A lost log
// subscription ends the process, so that its supervisor (npm start, Kubernetes) restarts it.
await runService('commands', () =>
  startCommands(loadConfig(), { shutdownHooks: false, onFatal: () => process.exit(1) }),
);
