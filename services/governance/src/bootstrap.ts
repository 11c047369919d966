import { ACCESS_MODEL_CATEGORIES, AccessModel, AccessModelError } from '@aos/access-control';
import { GovernanceCategories, QueueGroups, RUN_CATEGORY, TASK_CATEGORY } from '@aos/contracts';
import { gaugeFromReadModel } from '@aos/metrics';
import type { AosConfig } from '@aos/config';
import { describeError } from '@aos/errors';
import type { RecordedEvent } from '@aos/event-store';
import { startService, type RunningService, type StartServiceOptions } from '@aos/service-host';
import { AccessHandler } from './access/access.handler';
import { ApprovalExpiry } from './approval/approval.expiry';
import { ApprovalHandler } from './approval/approval.handler';
import { ApprovalWithdrawal } from './approval/approval.withdrawal';
import { bootstrapAdmin } from './bootstrap-admin';
import { BudgetHandler } from './budget/budget.handler';
import { governancePipeline, type GovernanceDeps } from './governance.deps';
import { GovernanceModule } from './governance.module';
import { GovernanceProjection } from './governance.projection';
import { PolicyHandler } from './policy/policy.handler';
import { PrincipalHandler } from './principal/principal.handler';
import { TenantHandler } from './tenant/tenant.handler';

export type GovernanceService = RunningService;
export type StartGovernanceOptions = StartServiceOptions;

const ACCESS_CATEGORIES: readonly string[] = ACCESS_MODEL_CATEGORIES;

/**
 * Starts the governance service: follows the governance streams into the
 * write model and the access model, records the bootstrap admin when the log
 * has no tenant, schedules the expiry of pending approvals, and only then
 * answers on NATS, so no request is decided against a half-built state. An
 * approval whose run is no longer its task's running attempt is withdrawn:
 * once listening, it reads each pending approval's task and run streams, and
 * follows the task-* and run-* categories from the log's head on, only to
 * check a pending approval again when its task moves. Those categories (the
 * largest) are never replayed, so they do not delay the start, and no task is
 * kept in memory.
 */
export function startGovernance(config: AosConfig, options: StartGovernanceOptions = {}): Promise<GovernanceService> {
  return startService(
    config,
    {
      name: 'governance',
      queue: QueueGroups.governance,
      async build(host) {
        const projection = new GovernanceProjection();
        gaugeFromReadModel(
          'aos_approvals_waiting',
          'Approvals pending a decision, across tenants (read from the governance read model when scraped)',
          () => projection.pendingApprovals().length,
        );
        const access = new AccessModel();
        const pipeline = governancePipeline({
          store: host.store,
          follower: host.follower,
          isFollowing: host.isFollowing,
          projection,
          access,
          names: await host.nameLedger(),
        });
        const intoAccessModel = (event: RecordedEvent) => {
          try {
            access.apply(event);
          } catch (err) {
            // One event the access model cannot take must not stop authentication for everyone.
            if (!(err instanceof AccessModelError)) throw err;
            host.logger.error(`access model skipped an event: ${describeError(err)}`, 'governance');
          }
        };
        // One subscription per governance category feeds the write model, the access model and the request index alike.
        for (const category of Object.values(GovernanceCategories)) {
          const feedsAccess = ACCESS_CATEGORIES.includes(category);
          host.follow(category, { category }, (e) => {
            if (feedsAccess) intoAccessModel(e);
            projection.apply(e);
            pipeline.requests.apply(e);
          });
        }
        await host.caughtUp(() => `${projection.eventsApplied} governance events`);

        const deps: GovernanceDeps = { pipeline, projection, access, now: () => new Date() };
        await bootstrapAdmin(deps, config, host.logger);
        const expiry = new ApprovalExpiry(deps, host.logger);
        const withdrawal = new ApprovalWithdrawal(deps, host.store, host.logger);
        projection.onApprovalPending = (record) => {
          expiry.schedule(record);
          withdrawal.consider(record);
        };
        expiry.start();
        host.onClose(() => {
          expiry.stop();
          withdrawal.stop();
        });

        return {
          module: GovernanceModule.forRoot({
            tenants: new TenantHandler(deps),
            principals: new PrincipalHandler(deps),
            policy: new PolicyHandler(deps),
            access: new AccessHandler(deps),
            approvals: new ApprovalHandler(deps),
            budgets: new BudgetHandler(deps),
          }),
          afterListen: async () => {
            // What came before the head is read per pending approval at start; what comes after wakes its checks.
            const after = await host.store.headPosition();
            for (const category of [TASK_CATEGORY, RUN_CATEGORY]) {
              host.follow(category, { category }, (e) => withdrawal.seen(e), { after });
            }
            withdrawal.start();
          },
        };
      },
    },
    options,
  );
}
