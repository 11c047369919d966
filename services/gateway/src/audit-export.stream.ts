import { Inject, Injectable } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { Observable } from 'rxjs';
import { AuditSubjects, type ExportChunk, type ExportEventsRequest } from '@aos/contracts';
import { SIGNING_TIMEOUT_MS } from './audit-timeouts';
import { ServiceForwarder } from './service-forwarder';
import { streamFailure } from './stream-failure';
import { whenWritable, type OutboundCall } from './outbound-flow';

/** The most bytes of the file one ExportChunk carries (audit.proto). */
export const EXPORT_CHUNK_BYTES = 64 * 1024;

/**
 * AuditService.ExportEvents: asks the audit service for the file page by page
 * (each page after the previous one, up to the position the first page fixed)
 * and sends each page's bytes in chunks of at most 64 KiB, waiting for the
 * gRPC call to take more before the next chunk, so the gateway holds one page.
 */
@Injectable()
export class AuditExportStream {
  constructor(@Inject(ServiceForwarder) private readonly services: ServiceForwarder) {}

  open(request: ExportEventsRequest, metadata?: Metadata, call?: OutboundCall): Observable<ExportChunk> {
    return new Observable<ExportChunk>((subscriber) => {
      let closed = false;
      const run = async (): Promise<void> => {
        let after = 0;
        let until = 0;
        let first = true;
        let treeSize = 0;
        let eventCount = 0;
        let firstPosition = 0;
        let lastPosition = 0;
        for (;;) {
          // A bundle's pages carry the tree its first page fixed, and the totals so far for its trailer.
          const page = await this.services.forward(
            AuditSubjects.exportPage,
            { request, after, until, first, treeSize, count: eventCount, firstPosition, lastPosition },
            metadata,
            // A bundle's first page may sign a checkpoint, which may first hash the tenant's tree.
            SIGNING_TIMEOUT_MS,
          );
          if (closed) return;
          first = false;
          ({ until, next: after, treeSize } = page);
          eventCount += page.events;
          if (page.events > 0) {
            firstPosition ||= page.firstPosition;
            lastPosition = page.lastPosition;
          }
          const bytes = Buffer.from(page.text, 'utf8');
          for (let offset = 0; offset < bytes.length; offset += EXPORT_CHUNK_BYTES) {
            subscriber.next(chunk(bytes.subarray(offset, offset + EXPORT_CHUNK_BYTES)));
            await whenWritable(call);
            if (closed) return;
          }
          if (page.done) break;
        }
        subscriber.next({
          ...chunk(new Uint8Array()),
          last: true,
          eventCount,
          firstPosition,
          lastPosition,
          throughPosition: until,
        });
        subscriber.complete();
      };
      run().catch((err: unknown) => subscriber.error(streamFailure(err)));
      return () => {
        closed = true;
      };
    });
  }
}

function chunk(data: Uint8Array): ExportChunk {
  return { data, last: false, eventCount: 0, firstPosition: 0, lastPosition: 0, throughPosition: 0 };
}
