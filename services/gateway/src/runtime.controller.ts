import { Controller, Inject } from '@nestjs/common';
import type { Metadata, ServerDuplexStream } from '@grpc/grpc-js';
import type { Observable } from 'rxjs';
import {
  RuntimeServiceControllerMethods,
  type AgentMessage,
  type RuntimeMessage,
  type RuntimeServiceController,
} from '@aos/contracts';
import { RequiresPermission } from './authz/permission.registry';
import { CallContextResolver } from './call-context.resolver';
import { ExternalSessionRelay } from './external-session.relay';

/**
 * aos.v1.RuntimeService: an external agent process's session. The
 * PermissionGuard has authenticated the call and checked runtime.attach
 * before the stream is relayed (see ExternalSessionRelay); which agent the
 * process may attach as is the runtime's check (the caller's tenant only).
 */
@Controller()
@RuntimeServiceControllerMethods()
export class RuntimeController implements RuntimeServiceController {
  constructor(
    @Inject(CallContextResolver) private readonly calls: CallContextResolver,
    @Inject(ExternalSessionRelay) private readonly relay: ExternalSessionRelay,
  ) {}

  @RequiresPermission('runtime.attach')
  connect(
    request: Observable<AgentMessage>,
    metadata?: Metadata,
    call?: ServerDuplexStream<AgentMessage, RuntimeMessage>,
  ): Observable<RuntimeMessage> {
    return this.relay.open(this.calls.of(metadata).ctx, request, call);
  }
}
