/** Nest provider token of the gateway's read-only EventStore connection (used by the server streams). */
export const EVENT_STORE = Symbol('EVENT_STORE');
