import { describe, expect, it } from 'vitest';
import { fitReply } from '../src/reply-size';

describe('fitReply: a list page ends before its reply would pass the limit', () => {
  const item = (i: number) => ({ i, text: 'x'.repeat(90) }); // about 100 bytes of JSON each

  it('keeps everything that fits and says nothing was cut', () => {
    expect(fitReply([item(1), item(2)], 1_000)).toEqual({ items: [item(1), item(2)], cutAfter: undefined });
  });

  it('ends the page after the last item that fits, and says after which', () => {
    const items = Array.from({ length: 30 }, (_, i) => item(i));
    const fit = fitReply(items, 1_000);
    expect(fit.items.length).toBeGreaterThan(5);
    expect(fit.items.length).toBeLessThan(10);
    expect(fit.cutAfter).toBe(fit.items.length - 1);
    expect(Buffer.byteLength(fit.items.map((x) => JSON.stringify(x)).join(''))).toBeLessThanOrEqual(1_000);
  });

  it('never returns an empty page: one item over the limit still goes out alone', () => {
    expect(fitReply([{ text: 'y'.repeat(5_000) }, item(2)], 1_000)).toEqual({
      items: [{ text: 'y'.repeat(5_000) }],
      cutAfter: 0,
    });
  });
});
