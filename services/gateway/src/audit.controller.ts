import { Controller, Inject } from '@nestjs/common';
import { Metadata, type ServerWritableStream } from '@grpc/grpc-js';
import { from, switchMap, type Observable } from 'rxjs';
import {
  AuditServiceControllerMethods,
  AuditSubjects,
  type AuditServiceController,
  type Event,
  type ListEventsRequest,
  type ListEventsResponse,
  type ReplayEventsRequest,
} from '@aos/contracts';
import { ServiceClient } from '@aos/messaging';
import { CallContextResolver } from './call-context.resolver';
import { EventReplayStream } from './event-replay.stream';

/** aos.v1.AuditService: ListEvents goes to the audit service; ReplayEvents streams from the log. */
@Controller()
@AuditServiceControllerMethods()
export class AuditController implements AuditServiceController {
  constructor(
    @Inject(CallContextResolver) private readonly calls: CallContextResolver,
    @Inject(ServiceClient) private readonly services: ServiceClient,
    @Inject(EventReplayStream) private readonly replay: EventReplayStream,
  ) {}

  async listEvents(request: ListEventsRequest, metadata?: Metadata): Promise<ListEventsResponse> {
    const { ctx } = await this.calls.resolve(metadata ?? new Metadata());
    return this.services.request<ListEventsResponse>(AuditSubjects.list, ctx, request);
  }

  replayEvents(
    request: ReplayEventsRequest,
    metadata?: Metadata,
    call?: ServerWritableStream<ReplayEventsRequest, Event>,
  ): Observable<Event> {
    return from(this.calls.resolve(metadata ?? new Metadata())).pipe(
      switchMap(({ principal }) => this.replay.open(principal.tenantId, request, call)),
    );
  }
}
