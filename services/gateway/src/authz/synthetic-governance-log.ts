import type { AccessModel } from '@aos/access-control';
import { GOVERNANCE_EVENTS_SCHEMA_VERSION, type GovernanceEvent } from '@aos/contracts';
import type { RecordedEvent } from '@aos/event-store';

/**
 * Feeds an AccessModel governance events as the log would deliver them
 * (global positions in order, revisions per stream), without a log: for
 * computing the README's role table and for unit tests of authorization.
 */
export class SyntheticGovernanceLog {
  private position = 0;
  private readonly revisions = new Map<string, number>();

  constructor(
    private readonly model: AccessModel,
    private readonly tenantId: string,
  ) {}

  append(category: 'tenant' | 'principal' | 'policy', id: string, event: GovernanceEvent): number {
    const stream = `${category}-${id}`;
    const revision = this.revisions.get(stream) ?? 0;
    this.revisions.set(stream, revision + 1);
    this.position += 1;
    const recorded: RecordedEvent = {
      id: `synthetic-${this.position}`,
      type: event.type,
      data: event.data,
      metadata: {
        tenantId: this.tenantId,
        actor: { kind: 'system', id: 'synthetic' },
        correlationId: 'synthetic',
        causationId: `synthetic-${this.position}`,
        requestId: `synthetic-${this.position}`,
        schemaVersion: GOVERNANCE_EVENTS_SCHEMA_VERSION,
      },
      stream,
      category,
      streamId: id,
      revision,
      position: this.position,
      time: new Date(0).toISOString(),
    };
    this.model.apply(recorded);
    return this.position;
  }
}
