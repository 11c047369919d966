import { Controller, Inject } from '@nestjs/common';
import type { Metadata, ServerWritableStream } from '@grpc/grpc-js';
import type { Observable } from 'rxjs';
import {
  ContextServiceControllerMethods,
  ResourcesSubjects,
  type ContextChange,
  type ContextEntry,
  type ContextServiceController,
  type DeleteContextRequest,
  type GetContextRequest,
  type ListContextRequest,
  type ListContextResponse,
  type PutContextRequest,
  type WatchContextRequest,
} from '@aos/contracts';
import { RequiresPermission } from './authz/permission.registry';
import { CallContextResolver } from './call-context.resolver';
import { ContextWatchStream } from './context-watch.stream';
import { ServiceForwarder } from './service-forwarder';

/**
 * aos.v1.ContextService: forwards each call to the resources service; the
 * PermissionGuard has checked the permission on `ctx/<scope>/<key>` (on
 * `ctx/<scope>/*` for a list or a watch, which then show only the entries
 * the caller may read: resources filters a list, the watch each change).
 * WatchContext is served here from the log.
 */
@Controller()
@ContextServiceControllerMethods()
export class ContextController implements ContextServiceController {
  constructor(
    @Inject(CallContextResolver) private readonly calls: CallContextResolver,
    @Inject(ServiceForwarder) private readonly services: ServiceForwarder,
    @Inject(ContextWatchStream) private readonly watch: ContextWatchStream,
  ) {}

  @RequiresPermission('context.write')
  putContext(request: PutContextRequest, metadata?: Metadata): Promise<ContextEntry> {
    return this.services.forward(ResourcesSubjects.putContext, request, metadata);
  }

  @RequiresPermission('context.read')
  getContext(request: GetContextRequest, metadata?: Metadata): Promise<ContextEntry> {
    return this.services.forward(ResourcesSubjects.getContext, request, metadata);
  }

  @RequiresPermission('context.read')
  listContext(request: ListContextRequest, metadata?: Metadata): Promise<ListContextResponse> {
    return this.services.forward(ResourcesSubjects.listContext, request, metadata);
  }

  @RequiresPermission('context.write')
  deleteContext(request: DeleteContextRequest, metadata?: Metadata): Promise<ContextEntry> {
    return this.services.forward(ResourcesSubjects.deleteContext, request, metadata);
  }

  @RequiresPermission('context.read')
  watchContext(
    request: WatchContextRequest,
    metadata?: Metadata,
    call?: ServerWritableStream<WatchContextRequest, ContextChange>,
  ): Observable<ContextChange> {
    return this.watch.open(this.calls.of(metadata), request, call);
  }
}
