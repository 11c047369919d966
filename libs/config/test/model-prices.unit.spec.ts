import { describe, expect, it } from 'vitest';
import { ConfigError, costMicrosOf, loadConfig, parseModelPrices } from '../src';

describe('AOS_MODEL_PRICES', () => {
  it('reads model=input/output entries, prices per million tokens', () => {
    const { prices, problems } = parseModelPrices(' gpt-4o-mini=0.15/0.60, llama3:70b=0/0,*=1/2 ,');
    expect(problems).toEqual([]);
    expect(Object.fromEntries(prices)).toEqual({
      'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
      'llama3:70b': { inputPerMillion: 0, outputPerMillion: 0 },
      '*': { inputPerMillion: 1, outputPerMillion: 2 },
    });
  });

  it('names each bad entry', () => {
    expect(parseModelPrices('gpt-4o=2.5,ok=1/1,x=-1/2,y=1/2,y=3/4,z=2000000/1').problems).toEqual([
      expect.stringContaining('entry "gpt-4o=2.5" must look like model=input/output'),
      expect.stringContaining('entry "x=-1/2" must look like'),
      'entry "y=3/4": model y is priced twice',
      'entry "z=2000000/1": a price above 1000000 per million tokens',
    ]);
  });

  it('refuses a bad table at start, naming the variable', () => {
    expect(() => loadConfig({ AOS_MODEL_PRICES: 'gpt-4o=cheap' })).toThrow(ConfigError);
    expect(() => loadConfig({ AOS_MODEL_PRICES: 'gpt-4o=cheap' })).toThrow(/AOS_MODEL_PRICES: entry "gpt-4o=cheap"/);
    expect(loadConfig({}).AOS_MODEL_PRICES.size).toBe(0);
    expect(loadConfig({ AOS_MODEL_PRICES: 'a=1/2' }).AOS_MODEL_PRICES.get('a')).toEqual({
      inputPerMillion: 1,
      outputPerMillion: 2,
    });
  });

  it('costs a call in micro-units: one price unit per million tokens is one micro-unit per token', () => {
    const { prices } = parseModelPrices('gpt-4o-mini=0.15/0.60,gpt-4o-mini-2024-07-18=0.2/0.8,*=3/4');
    // 1000 × 0.15 + 500 × 0.6 = 450, without binary-fraction noise rounding it up to 451.
    expect(costMicrosOf(prices, ['gpt-4o-mini'], 1000, 500)).toBe(450);
    // The model the server says answered is priced first, then the one asked for, then "*".
    expect(costMicrosOf(prices, ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'], 1000, 500)).toBe(600);
    expect(costMicrosOf(prices, ['unknown', 'gpt-4o-mini'], 1000, 500)).toBe(450);
    expect(costMicrosOf(prices, ['other'], 10, 10)).toBe(70);
    // A fraction of a micro-unit is charged as one.
    expect(costMicrosOf(prices, ['gpt-4o-mini'], 1, 0)).toBe(1);
    expect(costMicrosOf(parseModelPrices('a=1/1').prices, ['b'], 10, 10)).toBeUndefined();
  });
});
