import type { AccessModel } from '@aos/access-control';
import { type CommandPipeline, type NameLedger, type WriterHost, writerPipeline } from '@aos/command-pipeline';
import { foldName, GOVERNANCE_EVENTS_SCHEMA_VERSION, GovernanceCategories } from '@aos/contracts';
import type { RecordedEvent } from '@aos/event-store';
import { GOVERNANCE_EVENT_ID_NAMESPACE } from './governance.ids';
import type { GovernanceProjection } from './governance.projection';

/** What every governance handler works with; built in bootstrap.ts, outside Nest. */
export interface GovernanceDeps {
  /** The command pipeline of every governance stream. */
  pipeline: CommandPipeline;
  /** The write model (aggregate states and revisions, approvals, budgets). */
  projection: GovernanceProjection;
  /** The read model of principals, keys, roles, bindings and rules, and the enforcers. */
  access: AccessModel;
  /** The clock: for expiry and budget periods only; the time of a change is its event's record time. */
  now: () => Date;
}

/** How long a query waits for `min_position`. */
export const READ_WAIT_MS = 5_000;

/**
 * The pipeline of the governance streams. A reply waits for `follower`: the
 * write model and the access model alike, so an answer (and the next
 * authorization at the gateway) sees the change. Principal names and OIDC
 * subjects are unique per tenant.
 */
export function governancePipeline(
  deps: WriterHost & {
    projection: GovernanceProjection;
    access: AccessModel;
    /** Where principal names and OIDC subjects are held (unique per tenant across every governance instance). */
    names: NameLedger;
  },
): CommandPipeline {
  const { projection, access } = deps;
  return writerPipeline(deps, {
    model: 'governance',
    schemaVersion: GOVERNANCE_EVENTS_SCHEMA_VERSION,
    eventNamespace: GOVERNANCE_EVENT_ID_NAMESPACE,
    categories: Object.values(GovernanceCategories),
    waits: { readMs: READ_WAIT_MS, writeMs: 10_000, catchUpMs: 2_000 },
    names: {
      ledger: deps.names,
      holders: {
        principal: { fold: foldName, holderOf: (tenantId, folded) => projection.principalIdByName(tenantId, folded) },
        oidcSubject: {
          fold: (subject) => subject,
          holderOf: (tenantId, subject) => access.principalByOidcSubject(tenantId, subject)?.id,
        },
      },
    },
  });
}

/** The data of a recorded event, for the checks of a replayed request. */
export function dataOf(event: Pick<RecordedEvent, 'data'> | { data: unknown }): Record<string, unknown> {
  return (event.data ?? {}) as Record<string, unknown>;
}
