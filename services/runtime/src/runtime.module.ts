import { Module, type DynamicModule } from '@nestjs/common';
import { releaseOnShutdown } from '@aos/messaging';
import { ExternalSessionController } from './external/external-session.controller';
import { ExternalSessions } from './external/external-sessions';

export interface RuntimeModuleDeps {
  /** Called once Nest has stopped taking requests, on close() and on SIGTERM/SIGINT alike: stops the runner, then the log. */
  releaseResources: () => Promise<void>;
  /** The external agents' sessions this instance hosts. */
  sessions: ExternalSessions;
}

/**
 * The root module is only wiring. The runtime answers one request, opening
 * an external agent's session; its main work is the runner and the
 * sessions, built outside Nest in bootstrap.ts because they need the model
 * of the log caught up.
 */
@Module({})
export class RuntimeModule {
  static forRoot(deps: RuntimeModuleDeps): DynamicModule {
    return {
      module: RuntimeModule,
      controllers: [ExternalSessionController],
      providers: [{ provide: ExternalSessions, useValue: deps.sessions }, ...releaseOnShutdown(deps.releaseResources)],
    };
  }
}
