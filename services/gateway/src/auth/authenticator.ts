import type { Metadata } from '@grpc/grpc-js';
import type { Identity } from '@aos/access-control';

/** Who made a call, as established from its credentials. */
export interface Caller {
  identity: Identity;
  /**
   * The subjects whose roles and rules apply to the call: the identity's own
   * subject, or, for an OIDC caller that maps to no principal, its
   * `group:<g>` subjects.
   */
  grantSubjects: string[];
}

/**
 * Turns a call's metadata into a Caller, or throws UnauthenticatedError. The
 * gateway's guard knows only this interface.
 */
export interface Authenticator {
  authenticate(metadata: Metadata): Promise<Caller>;
}

/** Nest provider token of the Authenticator in use. */
export const AUTHENTICATOR = Symbol('AUTHENTICATOR');
