import { QueueGroups } from '@aos/contracts';
import type { AosConfig } from '@aos/config';
import { startService, type RunningService, type StartServiceOptions } from '@aos/service-host';
import { AuditIndexProjection } from './audit-index.projection';
import { AuditModule } from './audit.module';

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
        const index = new AuditIndexProjection(host.follower, host.isFollowing);
        host.follow('log', {}, (e) => index.apply(e));
        await host.caughtUp(() => 'the audit index');
        return { module: AuditModule.register(index) };
      },
    },
    options,
  );
}
