import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { ToolController } from './tool/tool.controller';
import { ToolHandler } from './tool/tool.handler';

/** Closes what the service holds outside Nest (the log subscription, the event store). */
export const RELEASE_RESOURCES = Symbol('RELEASE_RESOURCES');

export interface ResourcesModuleDeps {
  tools: ToolHandler;
  /** Called once Nest has stopped taking requests, on close() and on SIGTERM/SIGINT alike. */
  releaseResources: () => Promise<void>;
}

@Injectable()
class ResourceRelease implements OnApplicationShutdown {
  constructor(@Inject(RELEASE_RESOURCES) private readonly release: () => Promise<void>) {}

  async onApplicationShutdown(): Promise<void> {
    await this.release();
  }
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
      providers: [
        { provide: ToolHandler, useValue: deps.tools },
        { provide: RELEASE_RESOURCES, useValue: deps.releaseResources },
        ResourceRelease,
      ],
    };
  }
}
