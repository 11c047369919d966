export { startGateway, type GatewayHandle, type GatewayOptions } from './bootstrap';
export { resolveBootstrapKey, BOOTSTRAP_KEY_FILE, type BootstrapKey } from './auth/bootstrap-key';
export { AUTHENTICATOR, type Authenticator, type Principal } from './auth/authenticator';
export { BootstrapKeyAuthenticator } from './auth/bootstrap-key.authenticator';
export { GRPC_STATUS_BY_CODE } from './grpc-error.mapper';
