import type {
  ContextChange,
  ContextEntry,
  DeleteContextRequest,
  GetContextRequest,
  ListContextRequest,
  ListContextResponse,
  PutContextRequest,
  WatchContextRequest,
} from '@aos/contracts';
import type { CallInvoker, ServerStreamMethod, UnaryMethod } from './call-invoker';
import { loadServiceDefinition } from './proto-definition';

/** aos.v1.ContextService: shared JSON values by scope and key, written with optimistic concurrency. */
export interface ContextClient {
  /** With `expectedVersion`: ABORTED unless the entry is at that version (0: it must not exist). */
  putContext: UnaryMethod<PutContextRequest, ContextEntry>;
  /** The current value, or the one at `version`. */
  getContext: UnaryMethod<GetContextRequest, ContextEntry>;
  listContext: UnaryMethod<ListContextRequest, ListContextResponse>;
  /** The scope's changes after `afterPosition` (0: from now on), then live until cancelled. */
  watchContext: ServerStreamMethod<WatchContextRequest, ContextChange>;
  deleteContext: UnaryMethod<DeleteContextRequest, ContextEntry>;
}

export function createContextClient(invoker: CallInvoker): ContextClient {
  const service = loadServiceDefinition('ContextService');
  return {
    putContext: invoker.unary(service.PutContext),
    getContext: invoker.unary(service.GetContext),
    listContext: invoker.unary(service.ListContext),
    watchContext: invoker.serverStream(service.WatchContext),
    deleteContext: invoker.unary(service.DeleteContext),
  };
}
