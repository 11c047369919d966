import { loadConfig } from '@aos/config';
import { runService } from '@aos/launcher';
import { startRuntime } from './bootstrap';

// Shutdown hooks off: runService closes the service on SIGTERM/SIGINT. A lost log
// subscription ends the process, so that its supervisor (npm start, Kubernetes) restarts it.
await runService(
  'runtime',
  () => startRuntime(loadConfig(), { shutdownHooks: false, onFatal: () => process.exit(1) }),
  (service) => ({ runner: service.runner }),
);
