import { Module, type DynamicModule } from '@nestjs/common';
import { ToolController } from './tool/tool.controller';
import type { ResourcePart } from './resource-part';
import { ToolHandler } from './tool/tool.handler';

/**
 * The root module is only wiring: the handler and what it depends on are built
 * outside Nest (see bootstrap.ts), because the read model must be caught up
 * before the first request can be answered.
 */
@Module({})
export class ResourcesModule {
  static forRoot(tools: ToolHandler, parts: readonly ResourcePart[] = []): DynamicModule {
    return {
      module: ResourcesModule,
      controllers: [ToolController, ...parts.flatMap((p) => p.controllers)],
      providers: [{ provide: ToolHandler, useValue: tools }, ...parts.flatMap((p) => p.providers)],
    };
  }
}
