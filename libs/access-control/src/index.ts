// The catalog and the built-in roles are domain data (@aos/domain); re-exported for the edge.
export {
  PERMISSIONS,
  isSystemPermission,
  permissionMatches,
  BUILT_IN_ROLES,
  BUILT_IN_ROLE_NAMES,
  isBuiltInRole,
} from '@aos/domain';
export type { PermissionInfo, BuiltInRole } from '@aos/domain';
export type { Identity, AccessCheck } from './identity';
export { AccessModel, AccessModelError, ACCESS_MODEL_CATEGORIES } from './access-model';
export type {
  TenantView,
  PrincipalView,
  PrincipalKindName,
  ApiKeyView,
  ApiKeyStateName,
  RoleView,
  BindingView,
  RuleView,
  RuleEffectName,
} from './access-model.views';
export { subscribeAccessModel } from './access-model.subscription';
export { authorizeSubjects, type Authorization } from './authorize';
export type { AccessModelSubscription } from './access-model.subscription';
export { generateApiKey, parseApiKey, hashApiKey, verifyApiKeyHash } from './api-key';
export type { GeneratedApiKey } from './api-key';
export { OidcVerifier } from './oidc-verifier';
export type { OidcVerifierConfig, VerifiedOidcToken } from './oidc-verifier';
export * from './access-model.proto';
export { resourceOf, resourcesOf } from './call-resources';
export { FollowedAccessModel, type AccessModelHost, type AccessCaller } from './followed-access-model';
