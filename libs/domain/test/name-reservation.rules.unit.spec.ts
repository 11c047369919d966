import { describe, expect, it } from 'vitest';
import { AlreadyExistsError } from '@aos/errors';
import { initialNameState, nameStateOf, nextNameHolding, type NameState, type ReserveName } from '../src';

const T0 = '2026-12-04T10:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const held = (holderId: string, since = T0): NameState => nameStateOf({ name: 'Billing', holderId }, since);
const reserve = (over: Partial<ReserveName> = {}): ReserveName => ({
  type: 'ReserveName',
  kind: 'agent',
  name: 'billing',
  holderId: 'a-2',
  now: at(1_000),
  holderCarriesName: false,
  graceMs: 30_000,
  ...over,
});
const holding = (holderId: string) => ({ name: 'billing', holderId });

describe('nextNameHolding', () => {
  it('takes a free name, and one released before', () => {
    expect(nextNameHolding(reserve(), initialNameState)).toEqual(holding('a-2'));
    const released = nameStateOf({ name: 'Billing', holderId: '' }, at(5));
    expect(released).toEqual(initialNameState);
    expect(nextNameHolding(reserve(), released)).toEqual(holding('a-2'));
  });

  it('refuses a name whose holder carries it, however old the holding', () => {
    const claim = () => nextNameHolding(reserve({ holderCarriesName: true, now: at(3_600_000) }), held('a-1'));
    expect(claim).toThrow(AlreadyExistsError);
    expect(claim).toThrow('agent with agent.name "billing" already exists');
  });

  it('refuses a young holding whose holder is not written yet, and takes over a stale one', () => {
    expect(() => nextNameHolding(reserve({ now: at(29_999) }), held('a-1'))).toThrow(AlreadyExistsError);
    expect(nextNameHolding(reserve({ now: at(30_000) }), held('a-1'))).toEqual(holding('a-2'));
  });

  it('leaves a fresh holding of the same holder as it is, and renews an old one', () => {
    expect(nextNameHolding(reserve({ holderId: 'a-1', now: at(7_500) }), held('a-1'))).toBeUndefined();
    expect(nextNameHolding(reserve({ holderId: 'a-1', now: at(7_501) }), held('a-1'))).toEqual(holding('a-1'));
  });

  it('releases only what the holder holds', () => {
    const release = { type: 'ReleaseName' as const, name: 'Billing', holderId: 'a-1' };
    expect(nextNameHolding(release, held('a-1'))).toEqual({ name: 'Billing', holderId: '' });
    expect(nextNameHolding(release, held('a-2'))).toBeUndefined();
    expect(nextNameHolding(release, initialNameState)).toBeUndefined();
  });
});
