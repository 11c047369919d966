import type { Metadata } from '@grpc/grpc-js';
import type { RequestActor } from '@aos/messaging';

/** Who made a call, as established from its credentials. */
export interface Principal {
  tenantId: string;
  actor: RequestActor;
  roles: string[];
}

/**
 * Turns a call's metadata into a Principal, or throws UnauthenticatedError.
 * The gateway knows only this interface, so that governance can replace the
 * bootstrap key with real principals and API keys without touching the edge.
 */
export interface Authenticator {
  authenticate(metadata: Metadata): Promise<Principal>;
}

/** Nest provider token of the Authenticator in use. */
export const AUTHENTICATOR = Symbol('AUTHENTICATOR');
