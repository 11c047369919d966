/**
 * A recorded event's envelope and data as every reader of the log sees it. Declared once here, structurally, so that
 * libraries that may not depend on a store (contracts' mappers, the Merkle log) name the same shape; any store's
 * RecordedEvent fits it.
 */
export interface RecordedEventEnvelope {
  id: string;
  type: string;
  stream: string;
  revision: number;
  position: number;
  /** ISO-8601 */
  time: string;
  data: unknown;
  metadata: {
    tenantId: string;
    actor: { kind: string; id: string };
    correlationId: string;
    causationId: string;
    requestId: string;
    traceparent?: string;
    schemaVersion: number;
  };
}
