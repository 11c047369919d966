export { startGateway, type GatewayHandle } from './bootstrap';
export { AUTHENTICATOR, type Authenticator, type Caller } from './auth/authenticator';
export { GovernanceAuthenticator } from './auth/governance.authenticator';
export { RequiresPermission, permissionDeclarations, type PermissionDeclaration } from './authz/permission.registry';
export { GRPC_STATUS_BY_CODE } from './grpc-error.mapper';
