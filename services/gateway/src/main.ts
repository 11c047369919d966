import { loadConfig } from '@aos/config';
import { signalReady } from '@aos/launcher';
import { resolveBootstrapKey } from './auth/bootstrap-key';
import { startGateway } from './bootstrap';

const config = loadConfig();
// Resolved here as well (startGateway reads the same file) only to say where the key is; never the key itself.
const key = resolveBootstrapKey(config);
const gateway = await startGateway(config);
console.log(`gateway: gRPC on ${gateway.address}`);
console.log(`gateway: bootstrap admin key ${key.source === 'env' ? 'from AOS_BOOTSTRAP_API_KEY' : `in ${key.path}`}`);
signalReady('gateway', { address: gateway.address });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('gateway: shutdown failed', err);
        process.exit(1);
      },
    );
  });
}
