import { loadConfig } from '@aos/config';
import { runService } from '@aos/launcher';
import { startGateway } from './bootstrap';

const config = loadConfig();
const gateway = await runService(
  'gateway',
  () => startGateway(config),
  (g) => ({ address: g.address, mcpAddress: g.mcpAddress, consoleAddress: g.consoleAddress }),
);
console.log(`gateway: gRPC on ${gateway.address}`);
if (gateway.mcpAddress) console.log(`gateway: MCP on http://${gateway.mcpAddress}/mcp`);
if (gateway.consoleAddress) console.log(`gateway: web console on http://${gateway.consoleAddress}`);
