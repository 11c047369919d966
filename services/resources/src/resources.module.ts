import { Module, type DynamicModule } from '@nestjs/common';
import { releaseOnShutdown } from '@aos/messaging';
import { ToolController } from './tool/tool.controller';
import { ToolHandler } from './tool/tool.handler';

export interface ResourcesModuleDeps {
  tools: ToolHandler;
  /** Called once Nest has stopped taking requests, on close() and on SIGTERM/SIGINT alike. */
  releaseResources: () => Promise<void>;
}

/**
 * The root module is only wiring: the handler and what it depends on are built
 * outside Nest (see bootstrap.ts), because the read model must be caught up
 * before the first request can be answered.
 */
@Module({})
export class ResourcesModule {
  static forRoot(deps: ResourcesModuleDeps): DynamicModule {
    return {
      module: ResourcesModule,
      controllers: [ToolController],
      providers: [{ provide: ToolHandler, useValue: deps.tools }, ...releaseOnShutdown(deps.releaseResources)],
    };
  }
}
