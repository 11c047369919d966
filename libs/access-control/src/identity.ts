/** Who is calling, as established by an API key or an OIDC token. */
export interface Identity {
  tenantId: string;
  /** `user:<id>` | `service:<id>` (or `oidc:<sub>` for an OIDC caller with no principal). */
  subject: string;
  principalId: string;
  actor: { kind: 'user' | 'service' | 'agent' | 'system'; id: string };
  /** Names of the roles bound to `subject` in `tenantId`. */
  roles: string[];
  /** Holds the `system.*` permissions, which no role or rule grants. */
  systemAdmin: boolean;
  authentication: 'api_key' | 'oidc';
  keyId?: string;
}

/** The outcome of AccessModel.check(), with the binding and rule that decided it. */
export interface AccessCheck {
  decision: 'ALLOWED' | 'DENIED' | 'APPROVAL_REQUIRED';
  /** e.g. 'allowed: user:… has role operator (binding b-…), whose permission agents.pause matches'. */
  explanation: string;
  matchedBindingId?: string;
  matchedRuleId?: string;
  matchedRole?: string;
  /** The permission pattern of the deciding line: the role's permission or the rule's action. */
  matchedPermission?: string;
}
