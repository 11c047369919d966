import { QueueGroups, TOOL_CATEGORY } from '@aos/contracts';
import type { AosConfig } from '@aos/config';
import { startService, type RunningService, type StartServiceOptions } from '@aos/service-host';
import { buildContext } from './context/context.wiring';
import { buildKnowledge, type KnowledgeOptions } from './knowledge/knowledge.wiring';
import { ResourceAccess } from './resource-access';
import { ResourcesModule } from './resources.module';
import { StreamableHttpMcpDiscovery, type McpServerDiscovery } from './tool/mcp-server.discovery';
import { ToolHandler } from './tool/tool.handler';
import { ToolProjection } from './tool/tool.projection';

export type ResourcesService = RunningService;

export interface StartResourcesOptions extends StartServiceOptions {
  /** How MCP servers are discovered (default: the MCP SDK's streamable HTTP client). */
  discovery?: McpServerDiscovery;
  knowledge?: KnowledgeOptions;
}

/**
 * Starts the resources service in this process: replays the `tool-*`, `kb-*`
 * and `ctx-*` streams into memory, then answers the subjects of ToolService,
 * KnowledgeService and ContextService on NATS.
 */
export function startResources(config: AosConfig, options: StartResourcesOptions = {}): Promise<ResourcesService> {
  return startService(
    config,
    {
      name: 'resources',
      queue: QueueGroups.resources,
      async build(host) {
        const projection = new ToolProjection();
        const tools = new ToolHandler({
          store: host.store,
          projection,
          follower: host.follower,
          isFollowing: host.isFollowing,
          discovery: options.discovery ?? new StreamableHttpMcpDiscovery(),
          names: await host.nameLedger(),
        });
        host.follow('tool', { category: TOOL_CATEGORY }, (e) => {
          projection.apply(e);
          tools.pipeline.requests.apply(e);
        });
        // One access model for the parts whose lists and searches span resources (a rule may name one of them).
        const access = ResourceAccess.follow(host, (message) => host.logger.warn(message, 'access'));
        // Each part follows its own categories; all are caught up before the first request is answered.
        const parts = [await buildKnowledge(host, access, options.knowledge), await buildContext(host, access)];
        await host.caughtUp(() => `${projection.eventsApplied} tool events`);
        return { module: ResourcesModule.forRoot(tools, parts) };
      },
    },
    options,
  );
}
