import type { AgentDefinition } from '@aos/domain';
import { DEFINITION_FIELDS, sameValue, type DefinitionField } from './agent.decider';
import { replaceMap } from './snapshot-state';

/** One definition version of an agent, as the event that recorded it made it. */
export interface AgentVersionRecord {
  readonly definitionVersion: number;
  /** Unchanged fields are the previous version's own values (see AgentVersionHistory). */
  readonly definition: AgentDefinition;
  /** When the AgentCreated or AgentUpdated was recorded. */
  readonly time: string;
  readonly actorId: string;
  readonly logPosition: number;
  /** Empty for version 1. */
  readonly changedFields: readonly DefinitionField[];
  /** The version a rollback restored; undefined for a create or an ordinary update. */
  readonly rolledBackTo: number | undefined;
}

export interface AgentVersionPage {
  /** Newest first. */
  records: AgentVersionRecord[];
  totalSize: number;
  /** Set when older versions follow: the definition version of the page's last (oldest) record. */
  nextBeforeVersion: number | undefined;
}

/**
 * Every definition version of every agent, in memory like the rest of the
 * read model. Memory: an event carries the whole definition, but a version
 * keeps a field's value only when it changed; an unchanged field points at the
 * previous version's value, so the event's copy is garbage. An agent with
 * 20 KB of instructions and fifty model tweaks holds the instructions once,
 * and 10k agents × 20 versions cost about one definition per agent plus the
 * changed fields and ~200 bytes per version. Reads stay O(1) per version
 * (no replay of diffs).
 */
/** What AgentVersionHistory keeps, as plain data (a projection snapshot): tenantId → agentId → versions. */
export type AgentVersionsState = Map<string, Map<string, AgentVersionRecord[]>>;

export class AgentVersionHistory {
  /** tenantId → agentId → versions, index = definition version - 1. */
  private readonly tenants: AgentVersionsState = new Map();

  /** Everything it holds (shared, not copied: serialize it before the next event). */
  capture(): AgentVersionsState {
    return this.tenants;
  }

  /** Puts a captured state in place of an empty one's; the records and definitions are frozen again (read-only). */
  restore(state: AgentVersionsState): void {
    for (const agents of state.values())
      for (const versions of agents.values())
        for (const version of versions) Object.freeze(Object.freeze(version).definition);
    replaceMap(this.tenants, state);
  }

  /**
   * Adds the next version and returns its definition (sharing the unchanged
   * fields), for the current-state model to hold the same objects. A version
   * already held (redelivery) is not added again.
   */
  add(tenantId: string, agentId: string, version: AgentVersionRecord): AgentDefinition {
    const versions = this.versionsOf(tenantId, agentId, true)!;
    const held = versions[version.definitionVersion - 1];
    if (held) return held.definition;
    if (version.definitionVersion !== versions.length + 1) {
      throw new Error(`definition version ${version.definitionVersion} follows version ${versions.length}`);
    }
    const previous = versions.at(-1)?.definition;
    const definition = previous ? sharedWith(previous, version.definition) : version.definition;
    versions.push(Object.freeze({ ...version, definition }));
    return definition;
  }

  /** The definition of one version; undefined when the agent has no such version. */
  definition(tenantId: string, agentId: string, definitionVersion: number): AgentDefinition | undefined {
    return this.versionsOf(tenantId, agentId, false)?.[definitionVersion - 1]?.definition;
  }

  /**
   * Versions older than `beforeVersion` (0: from the newest), newest first, at
   * most `pageSize` of them and at most `maxBytes` by `sizeOf` (one at least).
   */
  page(
    tenantId: string,
    agentId: string,
    beforeVersion: number,
    pageSize: number,
    budget: { maxBytes: number; sizeOf: (definition: AgentDefinition) => number },
  ): AgentVersionPage {
    const versions = this.versionsOf(tenantId, agentId, false) ?? [];
    const start = beforeVersion === 0 ? versions.length : Math.min(beforeVersion - 1, versions.length);
    const records: AgentVersionRecord[] = [];
    let bytes = 0;
    for (let i = start - 1; i >= 0 && records.length < pageSize; i -= 1) {
      const size = budget.sizeOf(versions[i]!.definition);
      if (records.length > 0 && bytes + size > budget.maxBytes) break;
      records.push(versions[i]!);
      bytes += size;
    }
    const oldest = records.at(-1)?.definitionVersion;
    return {
      records,
      totalSize: versions.length,
      nextBeforeVersion: oldest !== undefined && oldest > 1 ? oldest : undefined,
    };
  }

  private versionsOf(tenantId: string, agentId: string, create: boolean): AgentVersionRecord[] | undefined {
    let agents = this.tenants.get(tenantId);
    if (!agents) {
      if (!create) return undefined;
      this.tenants.set(tenantId, (agents = new Map()));
    }
    let versions = agents.get(agentId);
    if (!versions && create) agents.set(agentId, (versions = []));
    return versions;
  }
}

function sharedWith(previous: AgentDefinition, next: AgentDefinition): AgentDefinition {
  const shared = { ...next } as Record<DefinitionField, unknown>;
  for (const field of DEFINITION_FIELDS) {
    if (sameValue(previous[field], next[field])) shared[field] = previous[field];
  }
  return Object.freeze(shared) as AgentDefinition;
}
