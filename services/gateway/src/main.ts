import { loadConfig } from '@aos/config';
import { runService } from '@aos/launcher';
import { resolveBootstrapKey } from './auth/bootstrap-key';
import { startGateway } from './bootstrap';

const config = loadConfig();
const gateway = await runService('gateway', () => startGateway(config), (g) => ({ address: g.address }));
// Resolved here as well (startGateway reads the same file) only to say where the key is; never the key itself.
const key = resolveBootstrapKey(config);
console.log(`gateway: gRPC on ${gateway.address}`);
console.log(`gateway: bootstrap admin key ${key.source === 'env' ? 'from AOS_BOOTSTRAP_API_KEY' : `in ${key.path}`}`);
