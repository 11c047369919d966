// The nats-server launcher lives in @aos/launcher (npm start uses it too); tests import it from here.
export { findNatsServerBinary, freePort, startNatsCluster, startNatsServer } from '@aos/launcher';
export type { NatsClusterHandle, NatsServerHandle, StartNatsServerOptions } from '@aos/launcher';
export { startTestStack } from './test-stack';
export { startClusterTestStack } from './cluster-test-stack';
export { statusOf } from './status-of';
export type { ClusterTestStack } from './cluster-test-stack';
export type { TestStack } from './test-stack';
export { MCP_SERVER_INFO, startMcpTestServer } from './mcp-test-server';
export type { McpTestServer } from './mcp-test-server';
export { RunSimulator } from './run-simulator';
export { startScriptedModelServer } from './scripted-model-server';
export type { RecordedChatRequest, ScriptedModelServer, ScriptedReply } from './scripted-model-server';
export { firstEvent } from './first-event';
export type { FirstEventOptions } from './first-event';
export { taskEnd } from './task-end';
export { taskHistory } from './task-history';
export { startOidcTestProvider } from './oidc-test-provider';
export type { OidcTestProvider, OidcTestProviderOptions, OidcTestUser } from './oidc-test-provider';
