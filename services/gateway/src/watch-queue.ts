/**
 * How many log events a server stream served to one client may hold for it
 * before its subscription stops reading the log: a client that stops reading
 * holds back its own watch (outbound-flow.ts waits for it), and this bounds
 * what the gateway keeps meanwhile, instead of the 8192 events a projection
 * may queue while it catches up.
 */
export const WATCH_QUEUE_LIMIT = 256;
