import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import { StderrLogger } from '@aos/launcher';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { QueueGroups } from '@aos/contracts';
import { requireNatsUrl, type AosConfig } from '@aos/config';
import { createEventStore } from '@aos/event-store';
import { listenOnNats, natsServerOptions, RpcErrorFilter } from '@aos/messaging';
import { AuditIndexProjection } from './audit-index.projection';
import { AuditModule } from './audit.module';

export interface AuditHandle {
  close(): Promise<void>;
}

/**
 * Starts the audit service: builds the index from the whole log and only then
 * answers on NATS, so that its first answer already covers every event.
 */
export async function startAudit(config: AosConfig): Promise<AuditHandle> {
  const natsUrl = requireNatsUrl(config);
  const store = await createEventStore({ kind: config.AOS_EVENT_STORE, natsUrl, esdbUrl: config.AOS_ESDB_URL });
  const index = new AuditIndexProjection();
  let app: INestMicroservice | undefined;
  try {
    await index.start(store);
    app = await NestFactory.createMicroservice<MicroserviceOptions>(AuditModule.register(index), {
      ...natsServerOptions(natsUrl, QueueGroups.audit, 'audit'),
      logger: new StderrLogger(config.AOS_LOG_LEVEL),
    });
    app.useGlobalFilters(new RpcErrorFilter());
    await listenOnNats(app);
    const started = app;
    let closing: Promise<void> | undefined;
    return {
      close: () =>
        (closing ??= (async () => {
          // Stop taking requests first, then drop the index and the log connection.
          await started.close();
          await index.stop();
          await store.close();
        })()),
    };
  } catch (err) {
    await app?.close();
    await index.stop();
    await store.close();
    throw err;
  }
}
