import { describe, expect, it } from 'vitest';
import { RoundCoalescer } from './round-coalescer';

/** A check that counts its starts and answers when the test says so. */
function controlledCheck() {
  const started: { resolve(): void; reject(err: Error): void }[] = [];
  return {
    started,
    check: () =>
      new Promise<void>((resolve, reject) => {
        started.push({ resolve, reject });
      }),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('RoundCoalescer', () => {
  it('answers callers that arrive together with one check', async () => {
    const rounds = new RoundCoalescer();
    const { started, check } = controlledCheck();
    const calls = [rounds.run('k', check), rounds.run('k', check), rounds.run('k', check)];
    await tick();
    expect(started).toHaveLength(1);
    started[0]!.resolve();
    await Promise.all(calls);
    expect(rounds.size).toBe(0);
  });

  it('never answers a caller with a check that started before it asked, however often it is asked', async () => {
    const rounds = new RoundCoalescer();
    const { started, check } = controlledCheck();
    for (let i = 1; i <= 5; i++) {
      const call = rounds.run('k', check);
      await tick();
      expect(started).toHaveLength(i);
      started[i - 1]!.resolve();
      await call;
    }
    // One that failed is not handed to the next caller either.
    const failing = rounds.run('k', check);
    await tick();
    started[5]!.reject(new Error('timeout'));
    await expect(failing).rejects.toThrow('timeout');
    const after = rounds.run('k', check);
    await tick();
    expect(started).toHaveLength(7);
    started[6]!.resolve();
    await expect(after).resolves.toBeUndefined();
  });

  it('sends the next round when the one in flight answers, or beside it once that is slow', async () => {
    const rounds = new RoundCoalescer();
    const { started, check } = controlledCheck();
    const first = rounds.run('k', check);
    await tick();
    const second = rounds.run('k', check); // arrived after the first was sent
    await tick();
    expect(started).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 80));
    expect(started).toHaveLength(2);
    started[1]!.resolve();
    await second;
    started[0]!.resolve();
    await first;
  });

  it('keeps keys apart', async () => {
    const rounds = new RoundCoalescer();
    const { started, check } = controlledCheck();
    const a = rounds.run('a', check);
    const b = rounds.run('b', check);
    await tick();
    expect(started).toHaveLength(2);
    for (const s of started) s.resolve();
    await Promise.all([a, b]);
  });
});
