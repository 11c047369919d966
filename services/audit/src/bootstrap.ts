import { QueueGroups } from '@aos/contracts';
import type { AosConfig } from '@aos/config';
import { startService, type RunningService, type StartServiceOptions } from '@aos/service-host';
import { AuditIndexProjection } from './audit-index.projection';
import { AuditModule } from './audit.module';
import { CheckpointWriter } from './checkpoint-writer';
import { loadLogKey, originOf } from './log-key';
import { LogIntegrity } from './log-integrity';

export type AuditHandle = RunningService;

/**
 * Starts the audit service: builds the index from the whole log and only then
 * answers on NATS, so that its first answer already covers every event.
 */
export function startAudit(config: AosConfig, options: StartServiceOptions = {}): Promise<AuditHandle> {
  return startService(
    config,
    {
      name: 'audit',
      queue: QueueGroups.audit,
      async build(host) {
        const key = await loadLogKey(config);
        const index = new AuditIndexProjection(host.follower, host.isFollowing, {
          verifier: key.verifier,
          originOf: (tenantId) => originOf(key.logName, tenantId),
        });
        const source = {
          tenantLog: (tenantId: string) => index.tenantLog(tenantId),
          tenantIds: () => index.tenantIds(),
          catchUpToHead: async () => index.reach(await host.store.headPosition()),
        };
        const writer = new CheckpointWriter(host, source, key, (err) =>
          host.logger.warn(`audit: a checkpoint was not signed: ${String(err)}`),
        );
        host.follow('log', {}, (e) => {
          index.apply(e);
          writer.pipeline.requests.apply(e);
        });
        await host.caughtUp(() => 'the audit index');
        // Every tenant's tree hashed now, in the background (in slices), so the first checkpoint,
        // proof or bundle after a start does not wait for a whole log's hashing.
        void index.hashAll().catch((err: unknown) => host.logger.warn(`audit: hashing the trees: ${String(err)}`));
        writer.start(config.AOS_AUDIT_CHECKPOINT_INTERVAL_MS);
        host.onClose(() => writer.stop());
        const integrity = new LogIntegrity(index, host.store, key, writer);
        return { module: AuditModule.register(index, integrity) };
      },
    },
    options,
  );
}
