import { v5 as uuidv5 } from 'uuid';
import type { Registers } from '@aos/command-pipeline';
import { AosError } from '@aos/errors';

/** The KV bucket of the run leases: one register per tenant and agent, shared by every routing instance. */
export const RUN_LEASE_BUCKET = 'aos_run_leases';
/** Fixed forever: an agent's register key derives from it when its id is not key-safe. */
const LEASE_KEY_NAMESPACE = '5d4f3f7e-63a1-4f0e-9f55-2b8a5c6d8e01';
/** Compare-and-set rounds before a lease change gives up (each loses only to another instance's change). */
const MAX_ROUNDS = 50;

/** One attempt's lease: which task and attempt, who runs it, and until when unless renewed. */
export interface RunLease {
  taskId: string;
  attempt: number;
  runner: string;
  /** Epoch ms (the writing instance's clock) after which the attempt is abandoned unless renewed. */
  expiresAt: number;
}

/**
 * The leases of one agent's attempts, by run id. One register per agent, so
 * that a claim counts the agent's attempts and takes a slot in one
 * compare-and-set: two routing instances cannot both find the agent below its
 * concurrency limit.
 */
export interface AgentLeases {
  runs: Record<string, RunLease>;
}

export type LeaseRuns = Record<string, RunLease>;

/**
 * The run leases, in JetStream KV (not in a process's memory), so that every
 * routing instance sees the same ones and a restart or the loss of an
 * instance loses none. Who holds an attempt is also the task's (`runner`,
 * from TaskStarted); a lease adds only until when.
 */
export class RunLeases {
  constructor(
    private readonly registers: Registers<AgentLeases>,
    readonly leaseMs: number,
    private readonly now: () => number,
  ) {}

  /** A lease starting now. */
  fresh(lease: Omit<RunLease, 'expiresAt'>): RunLease {
    return { ...lease, expiresAt: this.now() + this.leaseMs };
  }

  expired(lease: RunLease): boolean {
    return lease.expiresAt <= this.now();
  }

  /** The agent's leases as the register holds them now. */
  async of(tenantId: string, agentId: string): Promise<LeaseRuns> {
    return (await this.registers.read(leaseKey(tenantId, agentId)))?.value.runs ?? {};
  }

  /**
   * Changes the agent's leases with compare-and-set: `change` gets them as
   * they are and returns them as they should be, or undefined to write
   * nothing; it runs again when another instance wrote in between. What it
   * throws is thrown. Resolves to the leases as written (or as read).
   */
  async update(
    tenantId: string,
    agentId: string,
    change: (runs: LeaseRuns) => LeaseRuns | undefined,
  ): Promise<LeaseRuns> {
    const key = leaseKey(tenantId, agentId);
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const record = await this.registers.read(key);
      const runs = record?.value.runs ?? {};
      const next = change({ ...runs });
      if (next === undefined) return runs;
      if (await this.registers.write(key, { runs: next }, record?.revision ?? 0)) return next;
    }
    throw new AosError(
      'ABORTED',
      `the run leases of agent ${agentId} changed under ${MAX_ROUNDS} attempts in a row; try again`,
    );
  }
}

/** KV keys allow [-/_=.a-zA-Z0-9]: tenant ids and UUIDs qualify; any other agent id is hashed. */
function leaseKey(tenantId: string, agentId: string): string {
  const safe = /^[A-Za-z0-9_-]{1,128}$/.test(agentId) ? agentId : uuidv5(agentId, LEASE_KEY_NAMESPACE);
  return `${tenantId}.${safe}`;
}

/** What the leases are judged against: the task as the caught-up model has it. */
export interface LeasedTask {
  runId: string;
  attempt: number;
  /** RUNNING or WAITING_APPROVAL: the attempt `runId` runs. */
  running: boolean;
}

/**
 * The leases that still count: those of attempts their task still runs, and
 * those of claims whose TaskStarted the model does not show yet (a claim
 * another instance is making), until their lease runs out. The leases of
 * ended or abandoned attempts, and of claims that never started, are dropped.
 */
export function liveLeases(
  runs: LeaseRuns,
  taskOf: (taskId: string) => LeasedTask | undefined,
  expired: (lease: RunLease) => boolean,
): { live: LeaseRuns; starting: number } {
  const live: LeaseRuns = {};
  let starting = 0;
  for (const [runId, lease] of Object.entries(runs)) {
    const task = taskOf(lease.taskId);
    if (task?.running && task.runId === runId) live[runId] = lease;
    else if ((task?.attempt ?? 0) < lease.attempt && !expired(lease)) {
      live[runId] = lease;
      starting++;
    }
  }
  return { live, starting };
}
