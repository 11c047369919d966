import { filterLogLevels, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import type { HealthImplementation } from 'grpc-health-check';
import { requireNatsUrl, type AosConfig } from '@aos/config';
import { createEventStore } from '@aos/event-store';
import { ServiceClient } from '@aos/messaging';
import type { Authenticator } from './auth/authenticator';
import { BootstrapKeyAuthenticator } from './auth/bootstrap-key.authenticator';
import { resolveBootstrapKey } from './auth/bootstrap-key';
import { GatewayModule } from './gateway.module';
import { GrpcExceptionFilter } from './grpc-exception.filter';
import { grpcServerOptions, HEALTH_CHECKED_SERVICES, newHealthImplementation } from './grpc-server.options';
import { concreteListenAddress, splitHostPort } from './listen-address';

export interface GatewayHandle {
  /** host:port the gRPC server is bound to (the real port when AOS_GATEWAY_ADDR asked for port 0). */
  address: string;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Replaces the bootstrap-key authenticator (governance plugs in here). */
  authenticator?: Authenticator;
}

const PORT_ZERO_ATTEMPTS = 3;

/**
 * Starts the gRPC gateway: connects to NATS and the log, then serves aos.v1,
 * grpc.health.v1 and server reflection on AOS_GATEWAY_ADDR. Health turns
 * SERVING only once the server is listening, and NOT_SERVING again on close.
 */
export async function startGateway(config: AosConfig, options: GatewayOptions = {}): Promise<GatewayHandle> {
  const natsUrl = requireNatsUrl(config);
  const authenticator =
    options.authenticator ?? new BootstrapKeyAuthenticator(resolveBootstrapKey(config).key, config.AOS_DEFAULT_TENANT);
  const store = await createEventStore({ kind: config.AOS_EVENT_STORE, natsUrl, esdbUrl: config.AOS_ESDB_URL });
  const services = new ServiceClient(natsUrl);
  try {
    await services.connect();
    const health = newHealthImplementation();
    const { app, address } = await listen(config, GatewayModule.register({ authenticator, services, store }), health);
    for (const service of HEALTH_CHECKED_SERVICES) health.setStatus(service, 'SERVING');

    let closing: Promise<void> | undefined;
    return {
      address,
      close: () =>
        (closing ??= (async () => {
          for (const service of HEALTH_CHECKED_SERVICES) health.setStatus(service, 'NOT_SERVING');
          // Nest shuts the gRPC server down forcibly: open streams (a following
          // ReplayEvents never ends on its own) are cancelled, which closes their subscriptions.
          await app.close();
          await store.close();
          await services.close();
        })()),
    };
  } catch (err) {
    await services.close();
    await store.close();
    throw err;
  }
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
