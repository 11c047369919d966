import type { ContextEvent } from '@aos/domain';
import { AosError, assertNever, NotFoundError } from '@aos/errors';

/**
 * One `ctx-*` stream — one shared-context entry — as a pure decider. Its
 * version is the number of changes it has had: a put or a delete each make the
 * next one, so version n is the stream's revision n-1. The acting principal
 * and the time of a change are in the event's envelope, not decided here.
 */

export type ContextState =
  { status: 'NONE' } | { status: 'PRESENT'; version: number } | { status: 'DELETED'; version: number };

export const initialContextState: ContextState = { status: 'NONE' };

interface EntryCommand {
  scope: string;
  key: string;
  /** The version the caller last saw (0: none, or deleted); undefined: unconditional. */
  expectedVersion?: number;
}
export type PutContext = EntryCommand & { type: 'PutContext'; valueJson: string };
export type DeleteContext = EntryCommand & { type: 'DeleteContext' };
export type ContextCommand = PutContext | DeleteContext;

/** Thrown when a caller's expected_version is not the entry's: another writer changed it first (ABORTED). */
export class ContextVersionMismatchError extends AosError {
  override name = 'ContextVersionMismatchError';
  constructor(
    readonly expected: number,
    readonly actual: number,
    readonly actualDeleted = false,
  ) {
    super(
      'ABORTED',
      `expected_version ${expected} is stale: the entry ${describe(actual, actualDeleted)}; read it again and retry`,
      'expected_version',
    );
  }
}

/** Returns the events a command causes; throws the typed error that says why it may not happen. */
export function decide(command: ContextCommand, state: ContextState): ContextEvent[] {
  requireExpectedVersion(command.expectedVersion, state);
  const { scope, key } = command;
  const version = versionOf(state) + 1;
  switch (command.type) {
    case 'PutContext':
      return [{ type: 'ContextPut', data: { scope, key, valueJson: command.valueJson, version } }];
    case 'DeleteContext':
      if (state.status !== 'PRESENT') throw new NotFoundError('context entry', `${scope}/${key}`);
      return [{ type: 'ContextDeleted', data: { scope, key, version } }];
    default:
      return assertNever(command);
  }
}

export function evolve(state: ContextState, event: ContextEvent): ContextState {
  // Such a stream cannot be applied; the projection refuses it rather than guess the entry's version.
  const expected = versionOf(state) + 1;
  if (event.data.version !== expected) {
    throw new Error(`${event.type} records version ${event.data.version} where ${expected} comes next`);
  }
  switch (event.type) {
    case 'ContextPut':
      return { status: 'PRESENT', version: expected };
    case 'ContextDeleted':
      if (state.status !== 'PRESENT') throw new Error(`ContextDeleted of an entry that is ${state.status}`);
      return { status: 'DELETED', version: expected };
    default:
      return assertNever(event);
  }
}

export function versionOf(state: ContextState): number {
  return state.status === 'NONE' ? 0 : state.version;
}

/** Absent: no condition. 0: the entry must not exist, or be deleted. n: the entry must be at version n. */
function requireExpectedVersion(expected: number | undefined, state: ContextState): void {
  if (expected === undefined) return;
  const current = versionOf(state);
  const met = expected === 0 ? state.status !== 'PRESENT' : expected === current;
  if (!met) throw new ContextVersionMismatchError(expected, current, state.status === 'DELETED');
}

function describe(version: number, deleted: boolean): string {
  if (version === 0) return 'does not exist';
  return deleted ? `was deleted at version ${version}` : `is at version ${version}`;
}
