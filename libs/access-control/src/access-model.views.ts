/**
 * Read-model views of the access projection, for the governance service's
 * queries. They carry the fields of the proto messages (camelCase), with
 * times as ISO strings, plus where in the log they come from.
 */
export type PrincipalKindName = 'USER' | 'SERVICE';
export type ApiKeyStateName = 'API_KEY_ACTIVE' | 'API_KEY_REVOKED' | 'API_KEY_EXPIRED';
export type RuleEffectName = 'ALLOW' | 'DENY';

export interface TenantView {
  id: string;
  displayName: string;
  createTime: string;
  /** `<actor kind>:<actor id>` of the creating request. */
  createdBy: string;
  /** Revision of the tenant-<id> stream. */
  revision: number;
  logPosition: number;
}

export interface PrincipalView {
  id: string;
  tenantId: string;
  kind: PrincipalKindName;
  name: string;
  oidcSubject: string;
  /** `user:<id>` or `service:<id>`. */
  subject: string;
  systemAdmin: boolean;
  createTime: string;
  createdBy: string;
  /** Revision of the principal-<id> stream (its API key events included): the expected revision of the next append. */
  revision: number;
  /** Position of the last event of the principal-<id> stream. */
  logPosition: number;
}

export interface ApiKeyView {
  id: string;
  tenantId: string;
  principalId: string;
  prefix: string;
  description: string;
  /** As of the query (an expired key turns API_KEY_EXPIRED without an event). */
  state: ApiKeyStateName;
  createTime: string;
  /** Undefined: never expires. */
  expireTime?: string;
  revokeTime?: string;
  createdBy: string;
  /** Position of the key's last event (creation or revocation). */
  logPosition: number;
}

export interface RoleView {
  name: string;
  permissions: string[];
  builtIn: boolean;
  description: string;
  /** Unset for built-in roles, which are code rather than events. */
  createTime?: string;
  createdBy?: string;
  revision?: number;
  logPosition?: number;
}

export interface BindingView {
  id: string;
  tenantId: string;
  subject: string;
  role: string;
  createTime: string;
  createdBy: string;
  /** Revision of the event in the policy-<tenantId> stream. */
  revision: number;
  logPosition: number;
}

export interface RuleView {
  id: string;
  tenantId: string;
  subject: string;
  action: string;
  resource: string;
  effect: RuleEffectName;
  requiresApproval: boolean;
  createTime: string;
  createdBy: string;
  revision: number;
  logPosition: number;
}
