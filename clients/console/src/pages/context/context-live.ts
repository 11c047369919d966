import { useEffect, useState } from 'react';
import { Code } from '@connectrpc/connect';
import { context } from '../../api/transport';
import { errorWords, isStatus } from '../../api/error-words';
import type { ContextEntry } from '../../gen/aos/v1/context_pb';

const RESUME_DELAY_MS = 1000;

/** One change's identity: each version of an entry is made once. */
export function changeKey(entry: ContextEntry): string {
  return `${entry.key}@${entry.version}`;
}

/**
 * The changes of `scope` as WatchContext streams them, newest first, each
 * once. The watch starts after `after`, which the caller fixes once per
 * scope: the `position` of its first ListContext read (the log position that
 * read reflects), so the list and the changes meet without a gap or a repeat;
 * nothing starts while it is undefined. A dropped stream resumes after the
 * last position received, and a change already shown (same key and version)
 * is not shown again. A refusal (a permission, a malformed scope) ends the watch.
 */
export function useLiveContextChanges(
  scope: string,
  after: bigint | undefined,
  onChange: (entry: ContextEntry) => void,
): { changes: ContextEntry[]; error: string | null } {
  const [changes, setChanges] = useState<ContextEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setChanges([]);
    setError(null);
    if (after === undefined) return;
    const abort = new AbortController();
    const seen = new Set<string>();
    let last = after;
    void (async () => {
      while (!abort.signal.aborted) {
        try {
          for await (const { entry } of context.watchContext(
            { scope, afterPosition: last },
            { signal: abort.signal },
          )) {
            if (!entry) continue;
            if (entry.logPosition > last) last = entry.logPosition;
            setError(null);
            const id = changeKey(entry);
            if (seen.has(id)) continue;
            seen.add(id);
            setChanges((shown) => [entry, ...shown]);
            onChange(entry);
          }
        } catch (e) {
          if (abort.signal.aborted) return;
          if ([Code.PermissionDenied, Code.Unauthenticated, Code.InvalidArgument].some((c) => isStatus(e, c))) {
            setError(`Live changes stopped: ${errorWords(e)}`);
            return;
          }
          setError(`Live changes interrupted, resuming after position ${last}: ${errorWords(e)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, RESUME_DELAY_MS));
      }
    })();
    return () => abort.abort();
    // Not on onChange: it only refreshes what the page shows.
  }, [scope, after]);

  return { changes, error };
}
