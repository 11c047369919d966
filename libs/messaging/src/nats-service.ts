import type { DynamicModule, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { listenOnNats, natsServerOptions } from './nats-transport';
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
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(module, {
    ...natsServerOptions(options.natsUrl, options.queue, options.queue),
    logger: options.logger,
  });
  app.useGlobalFilters(new RpcErrorFilter());
  if (options.shutdownHooks ?? true) app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await listenOnNats(app);
  return () => app.close();
}
