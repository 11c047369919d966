import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { EventStore } from '@aos/event-store';
import { DirectNats, ServiceClient } from '@aos/messaging';
import { AccessModelFeed } from './access-model.feed';
import { AgentController } from './agent.controller';
import { AgentWatchStream } from './agent-watch.stream';
import { AuditController } from './audit.controller';
import { CommandController } from './command.controller';
import { AUTHENTICATOR, type Authenticator } from './auth/authenticator';
import { PermissionGuard } from './authz/permission.guard';
import { CallContextResolver } from './call-context.resolver';
import { ServiceForwarder } from './service-forwarder';
import { EventReplayStream } from './event-replay.stream';
import { AuditExportStream } from './audit-export.stream';
import { ExternalSessionRelay } from './external-session.relay';
import { DIRECT_NATS, EVENT_STORE } from './gateway.tokens';
import { GovernanceController } from './governance.controller';
import { RuntimeController } from './runtime.controller';
import { TaskController } from './task.controller';
import { TaskWatchStream } from './task-watch.stream';
import { ToolController } from './tool.controller';
import { KnowledgeController } from './knowledge.controller';
import { ContextController } from './context.controller';
import { ContextWatchStream } from './context-watch.stream';

/** What the gateway is built from; created (and connected, and caught up) by startGateway before Nest starts. */
export interface GatewayDependencies {
  authenticator: Authenticator;
  /** The gateway's own AccessModel, following the governance streams. */
  access: AccessModelFeed;
  /** The one NATS client every forwarded call goes through. */
  services: ServiceClient;
  /** Read-only: the server streams read the log directly. */
  store: EventStore;
  /** The external agents' session subjects (RuntimeService). */
  direct: DirectNats;
}

@Module({})
export class GatewayModule {
  static register(deps: GatewayDependencies): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [
        AgentController,
        AuditController,
        GovernanceController,
        ToolController,
        KnowledgeController,
        ContextController,
        TaskController,
        RuntimeController,
        CommandController,
      ],
      providers: [
        { provide: AUTHENTICATOR, useValue: deps.authenticator },
        { provide: AccessModelFeed, useValue: deps.access },
        { provide: ServiceClient, useValue: deps.services },
        { provide: EVENT_STORE, useValue: deps.store },
        { provide: DIRECT_NATS, useValue: deps.direct },
        // Global: every handler passes it, so a controller cannot forget authorization.
        { provide: APP_GUARD, useClass: PermissionGuard },
        CallContextResolver,
        ServiceForwarder,
        AgentWatchStream,
        EventReplayStream,
        AuditExportStream,
        TaskWatchStream,
        ContextWatchStream,
        ExternalSessionRelay,
      ],
    };
  }
}
