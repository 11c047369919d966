/**
 * How a service tells the process that started it that it is ready to take
 * requests (projections caught up, NATS subscriptions in place). A service
 * started by hand has no IPC channel and this does nothing.
 */
export const READY_MESSAGE_TYPE = 'aos.ready';

export interface ReadyMessage {
  type: typeof READY_MESSAGE_TYPE;
  service: string;
  details?: Record<string, unknown>;
}

export function signalReady(service: string, details?: Record<string, unknown>): void {
  const message: ReadyMessage = { type: READY_MESSAGE_TYPE, service, details };
  process.send?.(message);
}

export function isReadyMessage(value: unknown): value is ReadyMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === READY_MESSAGE_TYPE;
}
