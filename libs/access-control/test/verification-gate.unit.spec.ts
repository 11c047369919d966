import { describe, expect, it } from 'vitest';
import { AosError } from '@aos/errors';
import { VerificationGate } from '../src/verification-gate';

describe('VerificationGate', () => {
  it('runs at most maxConcurrent at once and refuses past the queue with RESOURCE_EXHAUSTED', async () => {
    const gate = new VerificationGate(2, 3);
    let running = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const work = () =>
      gate.run(async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => releases.push(r));
        running -= 1;
        return 'ok';
      });
    const accepted = Array.from({ length: 5 }, work); // 2 running + 3 waiting
    const refused = await work().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AosError);
    expect((refused as AosError).code).toBe('RESOURCE_EXHAUSTED');
    // Let the running ones finish, one batch at a time; the waiting ones then get their turn.
    const drain = setInterval(() => releases.splice(0).forEach((release) => release()), 1);
    await expect(Promise.all(accepted)).resolves.toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    clearInterval(drain);
    expect(peak).toBe(2);
  });
});
