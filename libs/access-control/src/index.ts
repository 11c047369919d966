export { PERMISSIONS, isSystemPermission, permissionMatches } from './permissions';
export type { PermissionInfo } from './permissions';
export { BUILT_IN_ROLES, BUILT_IN_ROLE_NAMES, isBuiltInRole } from './built-in-roles';
export type { BuiltInRole } from './built-in-roles';
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
export type { AccessModelSubscription } from './access-model.subscription';
export { generateApiKey, parseApiKey, hashApiKey, verifyApiKeyHash } from './api-key';
export type { GeneratedApiKey } from './api-key';
export { OidcVerifier } from './oidc-verifier';
export type { OidcVerifierConfig, VerifiedOidcToken } from './oidc-verifier';
export * from './access-model.proto';
