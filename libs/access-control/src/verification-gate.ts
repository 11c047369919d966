import { AosError } from '@aos/errors';

/**
 * Bounds the slow (scrypt) key verifications running at once. Each costs
 * tens of milliseconds of CPU on purpose; without a bound, anyone who knows
 * one public key prefix could queue thousands of them with random secrets and
 * stall every new caller's authentication. Past the queue, callers are told
 * to back off (RESOURCE_EXHAUSTED). Keys already verified never come here:
 * they are found in the verified-key cache.
 */
export class VerificationGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly maxConcurrent = 2,
    private readonly maxWaiting = 64,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) {
      if (this.waiting.length >= this.maxWaiting) {
        throw new AosError('RESOURCE_EXHAUSTED', 'too many API key verifications in progress; retry shortly');
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running += 1;
    try {
      return await work();
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }
}
