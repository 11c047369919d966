import { loadConfig } from '@aos/config';
import { startAudit } from '@aos/audit';
import { startCommands } from '@aos/commands';
import { startGovernance } from '@aos/governance';
import { runService } from '@aos/launcher';
import { startLifecycle } from '@aos/lifecycle';
import { startResources } from '@aos/resources';
import { startRouting } from '@aos/routing-service';
import { startRuntime } from '@aos/runtime';

/**
 * Every backend service in one process, each exactly as its own main.ts starts
 * it, talking to the others over NATS as usual. One process loads NestJS and
 * the libraries once instead of seven times, which is what a two-core machine
 * running many end-to-end stacks needs; a crash takes all seven down together,
 * so production runs them as separate processes (the default of the launcher).
 */
const onFatal = () => process.exit(1);

await runService('backends', async () => {
  const config = loadConfig();
  const started = await Promise.allSettled([
    startLifecycle(config, { shutdownHooks: false, onFatal }),
    startAudit(config, { shutdownHooks: false, onFatal }),
    startGovernance(config, { shutdownHooks: false, onFatal }),
    startResources(config, { shutdownHooks: false, onFatal }),
    startRouting(config, { shutdownHooks: false, onFatal }),
    startRuntime(config, { shutdownHooks: false, onFatal }),
    startCommands(config, { shutdownHooks: false, onFatal }),
  ]);
  const services = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const close = async () => {
    await Promise.allSettled(services.map((s) => s.close()));
  };
  if (failed) {
    await close();
    throw failed.reason;
  }
  return { close };
});
