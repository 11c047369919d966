import { loadConfig } from '@aos/config';
import { runService } from '@aos/launcher';
import { startGateway } from './bootstrap';

const config = loadConfig();
const gateway = await runService(
  'gateway',
  () => startGateway(config),
  (g) => ({ address: g.address }),
);
console.log(`gateway: gRPC on ${gateway.address}`);
