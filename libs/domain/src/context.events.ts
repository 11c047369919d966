import { z } from 'zod';
import { eventFamily, type EventOf } from './event-family';

/**
 * Shared context events: the published language of the `ctx-*` streams owned
 * by the resources service. One stream per entry (scope + key), its id
 * derived from them (contextStreamId in the resources service); the entry's
 * version is the number of events in its stream, so an expected version is
 * the stream's expected revision and two writers of one version cannot both
 * win.
 *
 * Scopes: `tenant`, `team/<label>`, `task/<correlationId>` (see context.proto).
 */
export const CONTEXT_CATEGORY = 'ctx';
export const CONTEXT_EVENTS_SCHEMA_VERSION = 1;

export const ContextPutSchema = z.object({
  scope: z.string(),
  key: z.string(),
  /** The JSON value as given (validated, at most 64 KiB). */
  valueJson: z.string(),
  /** 1-based: the entry's version after this change. */
  version: z.number().int().positive(),
});

export const ContextDeletedSchema = z.object({
  scope: z.string(),
  key: z.string(),
  version: z.number().int().positive(),
});

export const ContextEventSchemas = {
  ContextPut: ContextPutSchema,
  ContextDeleted: ContextDeletedSchema,
} as const;

export type ContextPut = z.infer<typeof ContextPutSchema>;
export type ContextDeleted = z.infer<typeof ContextDeletedSchema>;

const contextEvents = eventFamily(ContextEventSchemas);
export type ContextEvent = EventOf<typeof ContextEventSchemas>;
export type ContextEventType = ContextEvent['type'];
export const CONTEXT_EVENT_TYPES: readonly ContextEventType[] = contextEvents.types;
export const isContextEventType = contextEvents.is;
/** Validates an event read from the log; undefined for a type this version does not know; throws a ZodError on bad data. */
export const parseContextEvent = contextEvents.parse;
