import { describe, expect, it } from 'vitest';
import type { ContextEvent } from '@aos/contracts';
import { AosError, NotFoundError } from '@aos/errors';
import {
  ContextVersionMismatchError,
  decide,
  evolve,
  initialContextState,
  versionOf,
  type ContextCommand,
  type ContextState,
} from './context.decider';
import { contextStreamId } from './context.ids';

const entry = { scope: 'team/sales', key: 'plan' };
const put = (version: number, valueJson = `{"v":${version}}`): ContextEvent => ({
  type: 'ContextPut',
  data: { ...entry, valueJson, version },
});
const deleted = (version: number): ContextEvent => ({ type: 'ContextDeleted', data: { ...entry, version } });
const putCommand = (expectedVersion?: number, valueJson = '{"v":"new"}'): ContextCommand => ({
  type: 'PutContext',
  ...entry,
  valueJson,
  ...(expectedVersion === undefined ? {} : { expectedVersion }),
});
const deleteCommand = (expectedVersion?: number): ContextCommand => ({
  type: 'DeleteContext',
  ...entry,
  ...(expectedVersion === undefined ? {} : { expectedVersion }),
});

function given(events: ContextEvent[]): ContextState {
  return events.reduce(evolve, initialContextState);
}

function when(events: ContextEvent[], command: ContextCommand): ContextEvent[] {
  return decide(command, given(events));
}

function mismatch(events: ContextEvent[], command: ContextCommand): ContextVersionMismatchError {
  try {
    when(events, command);
  } catch (err) {
    expect(err).toBeInstanceOf(ContextVersionMismatchError);
    return err as ContextVersionMismatchError;
  }
  throw new Error('expected ABORTED');
}

describe('Context decider: put', () => {
  it('puts version 1 of a new entry, the value as given', () => {
    expect(when([], putCommand(undefined, '[1, 2]'))).toEqual([put(1, '[1, 2]')]);
    expect(given([put(1)])).toEqual({ status: 'PRESENT', version: 1 });
  });

  it('puts the next version over the current one, unconditionally or at the expected version', () => {
    expect(when([put(1), put(2)], putCommand())).toEqual([put(3, '{"v":"new"}')]);
    expect(when([put(1), put(2)], putCommand(2))).toEqual([put(3, '{"v":"new"}')]);
  });

  it('expected_version 0 creates an entry that does not exist, or re-creates a deleted one at the next version', () => {
    expect(when([], putCommand(0))).toEqual([put(1, '{"v":"new"}')]);
    expect(when([put(1), deleted(2)], putCommand(0))).toEqual([put(3, '{"v":"new"}')]);
  });

  it('puts over a deleted entry at its (deleted) version', () => {
    expect(when([put(1), deleted(2)], putCommand(2))).toEqual([put(3, '{"v":"new"}')]);
  });

  it('is ABORTED, naming expected_version, when the entry is not at the expected version', () => {
    const stale = mismatch([put(1), put(2)], putCommand(1));
    expect(stale).toMatchObject({ code: 'ABORTED', field: 'expected_version', expected: 1, actual: 2 });
    expect(stale.message).toBe('expected_version 1 is stale: the entry is at version 2; read it again and retry');
    expect(mismatch([put(1)], putCommand(0)).message).toMatch(/expected_version 0 is stale: the entry is at version 1/);
    expect(mismatch([], putCommand(3)).message).toMatch(/expected_version 3 is stale: the entry does not exist/);
    expect(mismatch([put(1), deleted(2)], putCommand(1)).message).toMatch(/was deleted at version 2/);
  });
});

describe('Context decider: delete', () => {
  it('deletes a present entry as its next version', () => {
    expect(when([put(1)], deleteCommand())).toEqual([deleted(2)]);
    expect(when([put(1)], deleteCommand(1))).toEqual([deleted(2)]);
    expect(given([put(1), deleted(2)])).toEqual({ status: 'DELETED', version: 2 });
  });

  it('is NOT_FOUND for an entry that does not exist or is deleted already', () => {
    expect(() => when([], deleteCommand())).toThrow(NotFoundError);
    expect(() => when([put(1), deleted(2)], deleteCommand())).toThrow(NotFoundError);
    expect(() => when([put(1), deleted(2)], deleteCommand(2))).toThrow(NotFoundError);
  });

  it('is ABORTED at a stale expected version, before anything else is said', () => {
    expect(mismatch([put(1), put(2)], deleteCommand(1)).actual).toBe(2);
    expect(mismatch([put(1)], deleteCommand(0)).code).toBe('ABORTED');
  });
});

describe('Context decider: evolve', () => {
  it('counts every change as a version', () => {
    expect(versionOf(given([put(1), put(2), deleted(3), put(4)]))).toBe(4);
  });

  it('refuses a stream whose versions do not follow one another, or a delete of nothing', () => {
    expect(() => given([put(2)])).toThrow(/records version 2 where 1 comes next/);
    expect(() => given([put(1), put(1)])).toThrow(/version 1 where 2/);
    expect(() => given([deleted(1)])).toThrow(/ContextDeleted of an entry that is NONE/);
  });
});

describe('Context stream ids', () => {
  it('derive from scope and key only, so every instance appends one entry to one stream', () => {
    expect(contextStreamId('team/sales', 'plan')).toBe(contextStreamId('team/sales', 'plan'));
    expect(contextStreamId('team/sales', 'plan')).not.toBe(contextStreamId('team/sales', 'plan2'));
    expect(contextStreamId('tenant', 'a')).not.toBe(contextStreamId('team/tenant', 'a'));
    expect(contextStreamId('team/a', 'b')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a mismatch is an AosError that crosses NATS with its code and field', () => {
    const err = new ContextVersionMismatchError(4, 5);
    expect(err).toBeInstanceOf(AosError);
    expect(err.toWire()).toMatchObject({ code: 'ABORTED', field: 'expected_version' });
  });
});
