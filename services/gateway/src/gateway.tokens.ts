/** Nest provider token of the gateway's read-only EventStore connection (used by the server streams). */
export const EVENT_STORE = Symbol('EVENT_STORE');

/** The plain NATS connection of the external agents' session subjects (see DirectNats). */
export const DIRECT_NATS = Symbol('DIRECT_NATS');
