import { Inject, Injectable } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import type { Subject } from '@aos/contracts';
import { ServiceClient } from '@aos/messaging';
import { CallContextResolver } from './call-context.resolver';

/**
 * How a gateway method hands a call to the service behind it: the request
 * message, untouched, on the method's subject, with the caller's tenant and
 * actor (established by the PermissionGuard); the reply as the subject types it.
 */
@Injectable()
export class ServiceForwarder {
  constructor(
    @Inject(CallContextResolver) private readonly calls: CallContextResolver,
    @Inject(ServiceClient) private readonly services: ServiceClient,
  ) {}

  forward<TBody, TReply>(
    subject: Subject<TBody, TReply>,
    body: TBody,
    metadata: Metadata | undefined,
    timeoutMs?: number,
  ): Promise<TReply> {
    return this.services.request(subject, this.calls.of(metadata).ctx, body, timeoutMs);
  }
}
