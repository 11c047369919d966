import { v5 as uuidv5 } from 'uuid';

/**
 * An entry's stream id derives from its scope and key alone (the tenant is in
 * the stream's name already), so every resources instance appends one entry's
 * versions to one stream, and an expected version is that stream's expected
 * revision: two writers of one version cannot both win. The namespaces are
 * fixed forever: a new one would split every entry in two.
 */
export const CONTEXT_STREAM_NAMESPACE = 'ea872d23-8221-44a1-bdb6-c2d6c60578d9';
/** The command pipeline's event ids (uuidv5 of `<tenant>/<request_id>/<index>`). */
export const CONTEXT_EVENT_ID_NAMESPACE = '151a5ffc-4c6e-4cc5-9743-a0fa06dc806b';

/** The id of the `ctx-*` stream of the entry `key` in `scope` (a key holds no "/", so the pair is unambiguous). */
export function contextStreamId(scope: string, key: string): string {
  return uuidv5(`${scope}/${key}`, CONTEXT_STREAM_NAMESPACE);
}
