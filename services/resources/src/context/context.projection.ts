import { contextVersionOf, parseContextEvent, type ContextVersion } from '@aos/contracts';
import { applyRecorded, parseRecorded, type RecordedEvent } from '@aos/event-store';
import { evolve, initialContextState, type ContextState } from './context.decider';

/** A `ctx-*` stream as the write model needs it: its state and revision. */
export interface ContextStreamRecord {
  state: ContextState;
  revision: number;
}

/**
 * One entry with every version it has had. A version's value is the string of
 * its event as the subscription delivered it, so every reader of a version gets
 * that one stored value; only the newest VALUES_KEPT versions keep it in memory
 * (older ones are marked valueInLog and read back from the entry's stream), and
 * the request index keeps no value at all (requestFacts).
 */
export interface ContextEntryRecord extends ContextStreamRecord {
  scope: string;
  key: string;
  /** versions[i] is version i + 1. */
  versions: ContextVersion[];
  /** When version 1 was stored. */
  createTime: string;
}

/** How many of an entry's newest versions keep their value in memory. */
export const VALUES_KEPT = 16;

export interface ContextPage {
  entries: ContextEntryRecord[];
  /** The key of the page's last entry when more follow. */
  nextAfterKey: string | undefined;
}

class TenantContext {
  /** By stream id. */
  readonly entries = new Map<string, ContextEntryRecord>();
  /** Scope → key → stream id. */
  readonly scopes = new Map<string, Map<string, string>>();
}

/**
 * Shared context's write and read model, per tenant, fed the `ctx-*` events in
 * log order. Tenants never see each other's entries: every lookup starts at
 * the tenant.
 */
export class ContextProjection {
  private readonly tenants = new Map<string, TenantContext>();
  private appliedCount = 0;
  private lastPosition = 0;

  get eventsApplied(): number {
    return this.appliedCount;
  }

  /** The log position of the newest `ctx-*` event applied (0: none yet); every older one is applied too. */
  get position(): number {
    return this.lastPosition;
  }

  apply(event: RecordedEvent): void {
    if (event.position > this.lastPosition) this.lastPosition = event.position;
    const parsed = this.parse(event);
    if (!parsed) return;
    const tenant = this.tenant(event.metadata.tenantId);
    const record = tenant.entries.get(event.streamId);
    // Redelivery after a reconnect must not apply a change twice.
    if (record && event.revision <= record.revision) return;
    const state: ContextState = applyRecorded(event, () => evolve(record?.state ?? initialContextState, parsed));
    const version = contextVersionOf(event, parsed);
    if (record) {
      record.state = state;
      record.revision = event.revision;
      record.versions.push(version);
      // Only the newest values stay in memory: a key rewritten for months must not grow the process.
      // An older version's value is read back from the entry's stream when asked for (valueOf).
      const old = record.versions[record.versions.length - 1 - VALUES_KEPT];
      if (old && old.valueJson !== null && !old.valueInLog) {
        record.versions[old.version - 1] = { ...old, valueJson: '', valueInLog: true };
      }
    } else {
      const { scope, key } = parsed.data;
      tenant.entries.set(event.streamId, {
        scope,
        key,
        state,
        revision: event.revision,
        versions: [version],
        createTime: event.time,
      });
      let keys = tenant.scopes.get(scope);
      if (!keys) tenant.scopes.set(scope, (keys = new Map()));
      keys.set(key, event.streamId);
    }
    this.appliedCount += 1;
  }

  /** The stream as the command pipeline decides on it. */
  stream(tenantId: string, streamId: string): ContextStreamRecord | undefined {
    return this.entry(tenantId, streamId);
  }

  entry(tenantId: string, streamId: string): ContextEntryRecord | undefined {
    return this.tenants.get(tenantId)?.entries.get(streamId);
  }

  /**
   * One page of the scope's entries that are not deleted, with the key prefix
   * and `visible`, by key, after `afterKey` (a page token follows only when a
   * visible entry does).
   */
  list(
    tenantId: string,
    scope: string,
    keyPrefix: string,
    afterKey: string,
    pageSize: number,
    visible: (record: ContextEntryRecord) => boolean = () => true,
  ): ContextPage {
    const tenant = this.tenants.get(tenantId);
    const keys = [...(tenant?.scopes.get(scope) ?? new Map<string, string>())]
      .filter(([key]) => key.startsWith(keyPrefix) && key > afterKey)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const entries: ContextEntryRecord[] = [];
    for (const [, streamId] of keys) {
      const record = tenant!.entries.get(streamId)!;
      if (record.state.status !== 'PRESENT' || !visible(record)) continue;
      if (entries.length === pageSize) return { entries, nextAfterKey: entries.at(-1)!.key };
      entries.push(record);
    }
    return { entries, nextAfterKey: undefined };
  }

  private parse(event: RecordedEvent) {
    // An event type this version does not know (written by a newer one) is skipped, not fatal.
    return parseRecorded(event, parseContextEvent);
  }

  private tenant(tenantId: string): TenantContext {
    let tenant = this.tenants.get(tenantId);
    if (!tenant) {
      tenant = new TenantContext();
      this.tenants.set(tenantId, tenant);
    }
    return tenant;
  }
}
