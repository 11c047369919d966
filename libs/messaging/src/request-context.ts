/** Who is acting, for which tenant, as part of which request: travels with every NATS request. */
export interface RequestActor {
  kind: 'user' | 'service' | 'agent' | 'system';
  id: string;
}

export interface RequestContext {
  tenantId: string;
  actor: RequestActor;
  /** The originating request; every event it causes carries it. */
  correlationId: string;
  /** W3C traceparent of the incoming call, when the caller sent one. */
  traceparent?: string;
}

/** The payload of every service request over NATS. */
export interface ServiceRequest<TBody> {
  ctx: RequestContext;
  body: TBody;
}
