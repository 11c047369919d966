import { filterLogLevels, Logger, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import type { HealthImplementation } from 'grpc-health-check';
import {
  consoleListenAddress,
  consoleOidcSettings,
  mcpListenAddress,
  requireNatsUrl,
  type AosConfig,
} from '@aos/config';
import { createEventStore } from '@aos/event-store';
import { serveMetrics } from '@aos/metrics';
import { DirectNats, ServiceClient } from '@aos/messaging';
import { OidcVerifier } from '@aos/access-control';
import { AccessModelFeed } from './access-model.feed';
import { GovernanceAuthenticator } from './auth/governance.authenticator';
import { KeyFreshness } from './auth/key-freshness';
import { CallContextResolver } from './call-context.resolver';
import { GatewayModule } from './gateway.module';
import { GrpcExceptionFilter } from './grpc-exception.filter';
import { GrpcMetricsInterceptor } from './grpc-metrics.interceptor';
import { GrpcTracingInterceptor } from './grpc-tracing.interceptor';
import { grpcServerOptions, healthCheckedServices, newHealthImplementation } from './grpc-server.options';
import { concreteListenAddress, splitHostPort } from './listen-address';
import { startMcpEndpoint, type McpEndpoint } from './mcp/mcp.endpoint';
import { startConsoleServer, type ConsoleServer } from './console/console.server';

export interface GatewayHandle {
  /** host:port the gRPC server is bound to (the real port when AOS_GATEWAY_ADDR asked for port 0). */
  address: string;
  /** host:port of the MCP endpoint (streamable HTTP at /mcp); undefined when AOS_MCP_ADDR is off. */
  mcpAddress: string | undefined;
  /** host:port of the web console and its Connect/gRPC-web API; undefined when AOS_CONSOLE_ADDR is off. */
  consoleAddress: string | undefined;
  close(): Promise<void>;
}

const PORT_ZERO_ATTEMPTS = 3;

/**
 * Starts the gRPC gateway: connects to NATS and the log, catches its
 * AccessModel up with the governance streams (no call is served before it
 * knows every key, role and rule), then serves aos.v1, grpc.health.v1 and
 * server reflection on AOS_GATEWAY_ADDR. Health turns SERVING only once the
 * server is listening, and NOT_SERVING again on close or when the AccessModel
 * stops following the log. Unless AOS_MCP_ADDR is off, the same callers reach
 * the shared resources over MCP there (see startMcpEndpoint), authenticated and
 * authorized by the same Authenticator and AccessModel. Unless AOS_CONSOLE_ADDR
 * is off, browsers get the web console and aos.v1 over Connect/gRPC-web there,
 * each call forwarded to this gRPC server (see startConsoleServer).
 */
export async function startGateway(config: AosConfig): Promise<GatewayHandle> {
  const natsUrl = requireNatsUrl(config);
  const logger = new Logger('Gateway');
  const health = newHealthImplementation();
  const healthChecked = healthCheckedServices();
  // Prometheus /metrics of this process (AOS_METRICS_ADDR; off by default).
  await serveMetrics(config.AOS_METRICS_ADDR);
  const store = await createEventStore({
    kind: config.AOS_EVENT_STORE,
    natsUrl,
    esdbUrl: config.AOS_ESDB_URL,
    replicas: config.AOS_JETSTREAM_REPLICAS,
  });
  const services = new ServiceClient(natsUrl);
  let access: AccessModelFeed | undefined;
  let direct: DirectNats | undefined;
  let mcp: McpEndpoint | undefined;
  let app: INestMicroservice | undefined;
  let consoleServer: ConsoleServer | undefined;
  try {
    await services.connect();
    direct = await DirectNats.connect(natsUrl, 'gateway');
    access = await AccessModelFeed.start(store, (err) => {
      logger.error(`stopped following the governance log, refusing every call: ${(err as Error)?.message ?? err}`);
      for (const service of healthChecked) health.setStatus(service, 'NOT_SERVING');
    });
    const authenticator = new GovernanceAuthenticator(
      access.model,
      oidcVerifier(config),
      new KeyFreshness(store, access),
    );
    const mcpAddress = mcpListenAddress(config);
    if (mcpAddress) {
      mcp = await startMcpEndpoint(mcpAddress, { calls: new CallContextResolver(authenticator), access, services });
    }
    const module = GatewayModule.register({ authenticator, access, services, store, direct });
    const listening = await listen(config, module, health);
    app = listening.app;
    const { address } = listening;
    // The bridge forwards to the gRPC server, so it opens only once that listens.
    const consoleAddress = consoleListenAddress(config);
    if (consoleAddress)
      consoleServer = await startConsoleServer(consoleAddress, {
        gatewayAddress: address,
        oidc: consoleOidcSettings(config),
      });
    for (const service of healthChecked) health.setStatus(service, 'SERVING');
    const feed = access;
    const sessions = direct;
    const mcpEndpoint = mcp;
    const browsers = consoleServer;
    const grpcServer = app;

    let closing: Promise<void> | undefined;
    return {
      address,
      mcpAddress: mcpEndpoint?.address,
      consoleAddress: browsers?.address,
      close: () =>
        (closing ??= (async () => {
          for (const service of healthChecked) health.setStatus(service, 'NOT_SERVING');
          await mcpEndpoint?.close();
          await browsers?.close();
          // Nest shuts the gRPC server down forcibly: open streams (a following
          // ReplayEvents never ends on its own) are cancelled, which closes their subscriptions.
          await grpcServer.close();
          await sessions.close();
          await feed.close();
          await store.close();
          await services.close();
        })()),
    };
  } catch (err) {
    await consoleServer?.close();
    await app?.close();
    await mcp?.close();
    await direct?.close();
    await access?.close();
    await services.close();
    await store.close();
    throw err;
  }
}

/** Bearer JWTs are accepted only when an issuer, its audience and its JWKS are all configured. */
function oidcVerifier(config: AosConfig): OidcVerifier | undefined {
  const { AOS_OIDC_ISSUER: issuer, AOS_OIDC_AUDIENCE: audience, AOS_OIDC_JWKS_URL: jwksUrl } = config;
  if (!issuer || !audience || !jwksUrl) return undefined;
  return new OidcVerifier({
    issuer,
    audience,
    jwksUrl,
    groupsClaim: config.AOS_OIDC_GROUPS_CLAIM,
    tenantClaim: config.AOS_OIDC_TENANT_CLAIM,
    defaultTenant: config.AOS_DEFAULT_TENANT,
  });
}

async function listen(
  config: AosConfig,
  module: ReturnType<typeof GatewayModule.register>,
  health: HealthImplementation,
): Promise<{ app: INestMicroservice; address: string }> {
  const attempts = splitHostPort(config.AOS_GATEWAY_ADDR).port === 0 ? PORT_ZERO_ATTEMPTS : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const address = await concreteListenAddress(config.AOS_GATEWAY_ADDR);
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(module, {
      ...grpcServerOptions(address, health),
      logger: filterLogLevels(`>=${config.AOS_LOG_LEVEL}`),
    });
    app.useGlobalFilters(new GrpcExceptionFilter());
    app.useGlobalInterceptors(new GrpcMetricsInterceptor(), new GrpcTracingInterceptor(app.get(CallContextResolver)));
    try {
      await app.listen();
      return { app, address };
    } catch (err) {
      lastError = err;
      await app.close();
    }
  }
  throw lastError;
}
