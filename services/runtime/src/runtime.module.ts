import { Module, type DynamicModule } from '@nestjs/common';
import { DirectToolCallController } from './direct/direct-tool-call.controller';
import { DirectToolCalls } from './direct/direct-tool-call.handler';
import { ExternalSessionController } from './external/external-session.controller';
import { ExternalSessions } from './external/external-sessions';

/**
 * The root module is only wiring. The runtime answers two requests, opening
 * an external agent's session and a principal's direct tool call; its main
 * work is the runner and the sessions, built outside Nest in bootstrap.ts
 * because they need the model of the log caught up.
 */
@Module({})
export class RuntimeModule {
  /** `sessions`: the external agents' sessions this instance hosts; `directCalls`: RuntimeSubjects.callTool. */
  static forRoot(sessions: ExternalSessions, directCalls: DirectToolCalls): DynamicModule {
    return {
      module: RuntimeModule,
      controllers: [ExternalSessionController, DirectToolCallController],
      providers: [
        { provide: ExternalSessions, useValue: sessions },
        { provide: DirectToolCalls, useValue: directCalls },
      ],
    };
  }
}
