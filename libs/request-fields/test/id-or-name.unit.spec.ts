import { describe, expect, it } from 'vitest';
import { NotFoundError } from '@aos/errors';
import { idOfIdOrName, validateIdOrName } from '@aos/request-fields';

const ID = '0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d';

describe('idOfIdOrName', () => {
  const holders = new Map([['billing-helper', ID]]);
  const byName = (name: string) => holders.get(name);

  it('an id is itself, without asking for a name', () => {
    expect(idOfIdOrName(validateIdOrName(ID, ''), 'agent', () => expect.fail('looked up a name'))).toBe(ID);
  });

  it('a name is its holder', () => {
    expect(idOfIdOrName(validateIdOrName('', ' billing-helper '), 'agent', byName)).toBe(ID);
  });

  it('a name nobody holds is NOT_FOUND naming the kind and the name', () => {
    const lookup = () => idOfIdOrName(validateIdOrName('', 'nobody'), 'knowledge base', byName);
    expect(lookup).toThrow(NotFoundError);
    expect(lookup).toThrow('knowledge base "nobody" not found');
  });
});
