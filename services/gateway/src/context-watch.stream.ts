import { Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { ContextChange, WatchContextRequest } from '@aos/contracts';
import { UnavailableError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import type { OutboundCall } from './outbound-flow';

/** ContextService.WatchContext: placeholder until the context feed lands. */
@Injectable()
export class ContextWatchStream {
  open(_ctx: RequestContext, _request: WatchContextRequest, _call?: OutboundCall): Observable<ContextChange> {
    return new Observable<ContextChange>((subscriber) => subscriber.error(new UnavailableError('WatchContext is not served yet')));
  }
}
