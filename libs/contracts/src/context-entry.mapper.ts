import type { ContextEvent } from '@aos/domain';
import type { ContextEntry } from './gen/aos/v1/context';
import type { RecordedEventLike } from './event.mapper';
import { toTimestamp } from './timestamps';

/** One version of a shared-context entry: what its ContextPut or ContextDeleted left. */
export interface ContextVersion {
  scope: string;
  key: string;
  version: number;
  /** The value of this version (the event's own string: every reader shares it); null once deleted. */
  valueJson: string | null;
  /**
   * Set by a reader that keeps only recent values in memory: this version's
   * value (valueJson is then '') is in its event in the log, to be read back.
   */
  valueInLog?: true;
  /** `<kind>:<id>` of the actor that made it. */
  updatedBy: string;
  /** ISO-8601: when the log stored it. */
  time: string;
  position: number;
}

/** A recorded context event as a version needs it: any store's RecordedEvent fits. */
export type ContextEventLike = Pick<RecordedEventLike, 'time' | 'position'> & {
  metadata: { actor: { kind: string; id: string } };
};

/** The version a ContextPut or ContextDeleted made (its data parsed by parseContextEvent). */
export function contextVersionOf(e: ContextEventLike, event: ContextEvent): ContextVersion {
  const { scope, key, version } = event.data;
  return {
    scope,
    key,
    version,
    valueJson: event.type === 'ContextPut' ? event.data.valueJson : null,
    updatedBy: `${e.metadata.actor.kind}:${e.metadata.actor.id}`,
    time: e.time,
    position: e.position,
  };
}

/**
 * A version as the API shows it: the same function serves GetContext,
 * ListContext and PutContext's replies (resources) and WatchContext (gateway),
 * so a change and a read of it look alike. `createTime`: when the entry's
 * version 1 was stored.
 */
export function toContextEntry(v: ContextVersion, createTime: string): ContextEntry {
  return {
    scope: v.scope,
    key: v.key,
    valueJson: v.valueJson ?? '',
    version: v.version,
    deleted: v.valueJson === null,
    updatedBy: v.updatedBy,
    updateTime: toTimestamp(v.time),
    createTime: toTimestamp(createTime),
    logPosition: v.position,
  };
}
