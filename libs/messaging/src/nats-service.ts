import {
  Inject,
  Injectable,
  type DynamicModule,
  type LoggerService,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { listenOnNats, natsServerOptions, TracedServerNats } from './nats-transport';
import { RpcErrorFilter } from './rpc-error.filter';

export interface NatsServiceOptions {
  natsUrl: string;
  /** The queue group, and the connection's name. */
  queue: string;
  logger: LoggerService;
  /** Let Nest close the service on SIGTERM/SIGINT (default true); runService handles signals itself. */
  shutdownHooks?: boolean;
}

/**
 * Every service's NATS side, the same way: a Nest microservice in its queue
 * group, errors carried as WireErrors, answering only once the server has its
 * subscriptions. Returns the function that closes it.
 */
export async function serveOnNats(module: DynamicModule, options: NatsServiceOptions): Promise<() => Promise<void>> {
  const { options: nats } = natsServerOptions(options.natsUrl, options.queue, options.queue);
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(module, {
    // Nest's NATS server, continuing each request's trace from its headers.
    strategy: new TracedServerNats(nats!),
    logger: options.logger,
  });
  app.useGlobalFilters(new RpcErrorFilter());
  if (options.shutdownHooks ?? true) app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await listenOnNats(app);
  return () => app.close();
}

const RELEASE_RESOURCES = Symbol('RELEASE_RESOURCES');

@Injectable()
class ResourceRelease implements OnApplicationShutdown {
  constructor(@Inject(RELEASE_RESOURCES) private readonly release: () => Promise<void>) {}

  async onApplicationShutdown(): Promise<void> {
    await this.release();
  }
}

/**
 * Providers that close what a service holds outside Nest (log subscriptions,
 * the event store) once Nest has stopped taking requests — on close() and on
 * SIGTERM/SIGINT alike. Add them to the service's root module.
 */
export function releaseOnShutdown(release: () => Promise<void>): Provider[] {
  return [{ provide: RELEASE_RESOURCES, useValue: release }, ResourceRelease];
}
