import { Module, type DynamicModule } from '@nestjs/common';
import type { EventStore } from '@aos/event-store';
import { ServiceClient } from '@aos/messaging';
import { AgentController } from './agent.controller';
import { AgentWatchStream } from './agent-watch.stream';
import { AuditController } from './audit.controller';
import { AUTHENTICATOR, type Authenticator } from './auth/authenticator';
import { CallContextResolver } from './call-context.resolver';
import { EventReplayStream } from './event-replay.stream';
import { EVENT_STORE } from './gateway.tokens';

/** What the gateway is built from; created (and connected) by startGateway before Nest starts. */
export interface GatewayDependencies {
  authenticator: Authenticator;
  /** The one NATS client every forwarded call goes through. */
  services: ServiceClient;
  /** Read-only: the server streams read the log directly. */
  store: EventStore;
}

@Module({})
export class GatewayModule {
  static register(deps: GatewayDependencies): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [AgentController, AuditController],
      providers: [
        { provide: AUTHENTICATOR, useValue: deps.authenticator },
        { provide: ServiceClient, useValue: deps.services },
        { provide: EVENT_STORE, useValue: deps.store },
        CallContextResolver,
        AgentWatchStream,
        EventReplayStream,
      ],
    };
  }
}
