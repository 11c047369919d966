import type { AccessModel } from '@aos/access-control';
import { InvalidArgumentError } from '@aos/errors';
import type { RecordedEvent } from '@aos/event-store';
import type { GovernanceProjection } from './governance.projection';
import type { GovernanceWriter } from './governance.writer';

/** What every governance handler works with; built in bootstrap.ts, outside Nest. */
export interface GovernanceDeps {
  writer: GovernanceWriter;
  /** The write model (aggregate states and revisions, request index, approvals, budgets). */
  projection: GovernanceProjection;
  /** The read model of principals, keys, roles, bindings and rules, and the enforcers. */
  access: AccessModel;
  /** The clock: for expiry and budget periods only; the time of a change is its event's record time. */
  now: () => Date;
}

/**
 * The events an earlier request with this request_id caused, when it was this
 * same kind of request (a retry); a request_id reused for another kind of
 * request, or another target, is refused.
 */
export function replayOf(
  deps: Pick<GovernanceDeps, 'projection'>,
  tenantId: string,
  requestId: string,
  types: readonly string[],
  sameTarget: (events: readonly RecordedEvent[]) => boolean = () => true,
): readonly RecordedEvent[] | undefined {
  const events = deps.projection.request(tenantId, requestId);
  if (!events) return undefined;
  if (!events.every((e) => types.includes(e.type)) || !sameTarget(events)) {
    throw new InvalidArgumentError('request_id', 'was already used for a different request');
  }
  return events;
}

/** Position of the last event of a request. */
export function lastPosition(events: readonly RecordedEvent[]): number {
  return events[events.length - 1]!.position;
}
