import { parsePlanEvent, type PlanExecuted, type PlanInterpreted } from '@aos/domain';
import { applyRecorded, parseRecorded, type RecordedEvent } from '@aos/event-store';
import { evolve, type PlanState } from './plan.decider';

/** A plan as its stream makes it, with where in the log it stands. */
export interface PlanRecord {
  readonly tenantId: string;
  readonly plan: PlanInterpreted;
  readonly state: PlanState;
  readonly revision: number;
  readonly createTime: string;
  /** Position of the PlanInterpreted. */
  readonly position: number;
  /** The newest execution, as recorded (responses cut to the log's limit). */
  readonly lastExecution?: { readonly data: PlanExecuted; readonly position: number };
}

/**
 * The commands service's plans, per tenant, built only from the log (its
 * write model and read model in one). Records are replaced, never changed,
 * so a reference taken for a reply stays as it was.
 */
export class PlanProjection {
  private readonly tenants = new Map<string, Map<string, PlanRecord>>();
  eventsApplied = 0;

  apply(event: RecordedEvent): void {
    const parsed = parseRecorded(event, parsePlanEvent);
    if (!parsed) return;
    const plans = this.tenantPlans(event.metadata.tenantId);
    applyRecorded(event, () => {
      const id = parsed.data.planId;
      const record = plans.get(id);
      if (parsed.type === 'PlanInterpreted') {
        if (record) return;
        plans.set(id, {
          tenantId: event.metadata.tenantId,
          plan: parsed.data,
          state: evolve({ status: 'NONE' }, parsed),
          revision: event.revision,
          createTime: event.time,
          position: event.position,
        });
      } else {
        if (!record) throw new Error(`PlanExecuted for plan ${id} before PlanInterpreted`);
        plans.set(id, {
          ...record,
          state: evolve(record.state, parsed),
          revision: event.revision,
          lastExecution: { data: parsed.data, position: event.position },
        });
      }
    });
    this.eventsApplied += 1;
  }

  get(tenantId: string, planId: string): PlanRecord | undefined {
    return this.tenants.get(tenantId)?.get(planId);
  }

  private tenantPlans(tenantId: string): Map<string, PlanRecord> {
    let plans = this.tenants.get(tenantId);
    if (!plans) this.tenants.set(tenantId, (plans = new Map()));
    return plans;
  }
}
