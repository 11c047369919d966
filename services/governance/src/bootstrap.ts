import 'reflect-metadata';
import { AccessModel, subscribeAccessModel, type AccessModelSubscription } from '@aos/access-control';
import { GovernanceCategories, QueueGroups } from '@aos/contracts';
import { redactUrl, requireNatsUrl, type AosConfig } from '@aos/config';
import { describeError } from '@aos/errors';
import { createEventStore, followProjection, type Subscription } from '@aos/event-store';
import { StderrLogger } from '@aos/launcher';
import { serveOnNats } from '@aos/messaging';
import { AccessHandler } from './access/access.handler';
import { ApprovalExpiry } from './approval/approval.expiry';
import { ApprovalHandler } from './approval/approval.handler';
import { bootstrapAdmin } from './bootstrap-admin';
import { BudgetHandler } from './budget/budget.handler';
import type { GovernanceDeps } from './governance.deps';
import { GovernanceModule } from './governance.module';
import { GovernanceProjection } from './governance.projection';
import { GovernanceWriter } from './governance.writer';
import { PolicyHandler } from './policy/policy.handler';
import { PrincipalHandler } from './principal/principal.handler';
import { TenantHandler } from './tenant/tenant.handler';

export interface GovernanceService {
  /** Stops taking requests and expiring approvals, then closes the log subscriptions and the event store. Idempotent. */
  close(): Promise<void>;
}

export interface StartGovernanceOptions {
  /**
   * Let Nest close the service on SIGTERM/SIGINT (default true). A launcher that
   * runs several services in one process and handles signals itself passes false.
   */
  shutdownHooks?: boolean;
}

const CONTEXT = 'governance';

/**
 * Starts the governance service: follows the governance streams into the
 * write model and the access model, records the bootstrap admin when the log
 * has no tenant, schedules the expiry of pending approvals, and only then
 * answers on NATS, so no request is decided against a half-built state.
 */
export async function startGovernance(
  config: AosConfig,
  options: StartGovernanceOptions = {},
): Promise<GovernanceService> {
  const logger = new StderrLogger(config.AOS_LOG_LEVEL);
  const natsUrl = requireNatsUrl(config);
  const store = await createEventStore({ kind: config.AOS_EVENT_STORE, natsUrl, esdbUrl: config.AOS_ESDB_URL });
  const subscriptions: Subscription[] = [];
  let accessSubscription: AccessModelSubscription | undefined;
  let expiry: ApprovalExpiry | undefined;
  let following = true;
  // Only a lost log ends a subscription (events that cannot be applied are skipped); from then
  // on every request fails with UNAVAILABLE instead of answering from stale state.
  const stopped = (what: string) => (err: unknown) => {
    following = false;
    logger.error(`the ${what} subscription stopped: ${describeError(err)}`, CONTEXT);
  };
  let released: Promise<void> | undefined;
  const releaseResources = () =>
    (released ??= (async () => {
      expiry?.stop();
      await Promise.all(subscriptions.map((s) => s.close()));
      await accessSubscription?.close();
      await store.close();
      logger.log('closed the governance subscriptions and the event store', CONTEXT);
    })());

  try {
    const projection = new GovernanceProjection();
    const access = new AccessModel();
    const started = performance.now();
    // One subscription per governance category: the service never reads the rest of the log.
    for (const category of Object.values(GovernanceCategories)) {
      const followed = followProjection(store, { filter: { category } }, (e) => projection.apply(e), {
        onSkipped: (err) => logger.error(describeError(err), CONTEXT),
        onStopped: stopped(category),
      });
      subscriptions.push(followed.subscription);
    }
    accessSubscription = subscribeAccessModel(store, access, stopped('access model'), (skipped) =>
      logger.error(`access model skipped an event: ${describeError(skipped)}`, CONTEXT),
    );
    await Promise.all([...subscriptions.map((s) => s.caughtUp), accessSubscription.caughtUp]);
    logger.log(
      `governance models caught up: ${projection.eventsApplied} events in ${Math.round(performance.now() - started)} ms`,
      CONTEXT,
    );

    const writer = new GovernanceWriter({
      store,
      followers: [...subscriptions, accessSubscription],
      isFollowing: () => following,
    });
    const deps: GovernanceDeps = { writer, projection, access, now: () => new Date() };
    await bootstrapAdmin(deps, config, logger);

    const approvalExpiry = new ApprovalExpiry(deps, logger);
    expiry = approvalExpiry;
    projection.onApprovalPending = (record) => approvalExpiry.schedule(record);
    approvalExpiry.start();

    const handlers = {
      tenants: new TenantHandler(deps),
      principals: new PrincipalHandler(deps),
      policy: new PolicyHandler(deps),
      access: new AccessHandler(deps),
      approvals: new ApprovalHandler(deps),
      budgets: new BudgetHandler(deps),
    };
    const closeApp = await serveOnNats(GovernanceModule.forRoot({ handlers, releaseResources }), {
      natsUrl,
      queue: QueueGroups.governance,
      logger,
      shutdownHooks: options.shutdownHooks,
    });
    logger.log(`listening on ${redactUrl(natsUrl)} (queue group ${QueueGroups.governance})`, CONTEXT);

    let closing: Promise<void> | undefined;
    return { close: () => (closing ??= closeApp().then(releaseResources)) };
  } catch (err) {
    await releaseResources();
    throw err;
  }
}
