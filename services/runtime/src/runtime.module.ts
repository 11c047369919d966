import { Module, type DynamicModule } from '@nestjs/common';
import { releaseOnShutdown } from '@aos/messaging';

export interface RuntimeModuleDeps {
  /** Called once Nest has stopped taking requests, on close() and on SIGTERM/SIGINT alike: stops the runner, then the log. */
  releaseResources: () => Promise<void>;
}

/**
 * The root module is only wiring. The runtime answers no requests yet (the
 * external agents' RuntimeService comes later); its work is the runner, built
 * outside Nest in bootstrap.ts because it needs the model of the log caught up.
 */
@Module({})
export class RuntimeModule {
  static forRoot(deps: RuntimeModuleDeps): DynamicModule {
    return { module: RuntimeModule, providers: [...releaseOnShutdown(deps.releaseResources)] };
  }
}
