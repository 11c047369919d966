/**
 * A list reply travels as one NATS message (1 MiB max_payload by default): a
 * page ends early, before its items' JSON would pass this (AIP-158 allows
 * short pages), and never holds fewer than one item.
 */
export const MAX_LIST_REPLY_BYTES = 768 * 1024;

/**
 * The items of a page that fit in a reply, in order, and the index of the
 * last one kept when the page had to end early (its page token then points
 * after it), or undefined when all fit.
 */
export function fitReply<T>(
  items: readonly T[],
  maxBytes = MAX_LIST_REPLY_BYTES,
): { items: T[]; cutAfter: number | undefined } {
  const kept: T[] = [];
  let bytes = 0;
  for (const [i, item] of items.entries()) {
    bytes += Buffer.byteLength(JSON.stringify(item), 'utf8');
    if (i > 0 && bytes > maxBytes) return { items: kept, cutAfter: i - 1 };
    kept.push(item);
  }
  return { items: kept, cutAfter: undefined };
}
