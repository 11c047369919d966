import { Module, type DynamicModule } from '@nestjs/common';
import { ExternalSessionController } from './external/external-session.controller';
import { ExternalSessions } from './external/external-sessions';

/**
 * The root module is only wiring. The runtime answers one request, opening
 * an external agent's session; its main work is the runner and the
 * sessions, built outside Nest in bootstrap.ts because they need the model
 * of the log caught up.
 */
@Module({})
export class RuntimeModule {
  /** `sessions`: the external agents' sessions this instance hosts. */
  static forRoot(sessions: ExternalSessions): DynamicModule {
    return {
      module: RuntimeModule,
      controllers: [ExternalSessionController],
      providers: [{ provide: ExternalSessions, useValue: sessions }],
    };
  }
}
