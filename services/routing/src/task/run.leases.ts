/**
 * The leases of running attempts, in this process's memory only: routing runs
 * as one replica, and after a restart every running attempt gets a fresh lease
 * (a grace period) instead of being judged by a clock that did not run. Who
 * holds an attempt is the task's (`runner`); a lease is only when it runs out.
 */
export interface RunLease {
  /** Epoch ms at which the attempt is abandoned unless renewed. */
  expiresAt: number;
}

export class RunLeases {
  private readonly leases = new Map<string, RunLease>();

  constructor(readonly leaseMs: number) {}

  grant(runId: string, now: number): RunLease {
    const lease = { expiresAt: now + this.leaseMs };
    this.leases.set(runId, lease);
    return lease;
  }

  get(runId: string): RunLease | undefined {
    return this.leases.get(runId);
  }

  drop(runId: string): void {
    this.leases.delete(runId);
  }

  /** Forgets the leases of attempts that no longer run. */
  retainOnly(runIds: ReadonlySet<string>): void {
    for (const runId of this.leases.keys()) if (!runIds.has(runId)) this.leases.delete(runId);
  }
}
