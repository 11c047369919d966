import { describe, expect, it } from 'vitest';
import type { ClaimRunBody, ClaimRunReply } from '@aos/contracts';
import type { RunnableTask } from '../model/runtime.model';
import { RunnerShuttingDown, type HeldAttempt } from '../run/run-execution';
import type { RunProtocolPort } from '../run/runtime.ports';
import { Runner } from './runner';

const candidate = {
  tenantId: 't1',
  task: { taskId: 'task-1', attempt: 0 },
  agent: { agentId: 'a1' },
} as unknown as RunnableTask;

/**
 * Routing answers a repeated start of the same attempt (same request_id) like
 * the first. This protocol does the same, slowly, so that scans overlap the claim.
 */
function slowIdempotentProtocol(starts: ClaimRunBody[]): RunProtocolPort {
  const reply = (body: ClaimRunBody): ClaimRunReply => ({
    taskId: body.taskId,
    runId: `${body.taskId}-${body.attempt}`,
    attempt: body.attempt,
    agentId: 'a1',
    previousRunId: '',
    leaseMs: 60_000,
    logPosition: 1,
  });
  const fail = () => Promise.reject(new Error('not used'));
  return {
    claimRun: async (_ctx, body) => {
      starts.push(body);
      await new Promise((r) => setTimeout(r, 40));
      return reply(body);
    },
    renewLeases: async () => ({ lost: [], leaseMs: 60_000 }),
    releaseRun: fail,
  };
}

describe('Runner', () => {
  it('claims a task once and runs it once, however often it scans while the claim is in flight', async () => {
    const starts: ClaimRunBody[] = [];
    const executed: HeldAttempt[] = [];
    let release!: () => void;
    const running = new Promise<void>((r) => (release = r));
    const runner = new Runner({
      runner: 'host:1:abcd',
      concurrency: 4,
      runnable: () => [candidate],
      correlationOf: () => 'corr',
      protocol: slowIdempotentProtocol(starts),
      execute: async (held) => {
        executed.push(held);
        await running;
      },
      log: () => undefined,
      claimJitterMs: 0,
      scanIntervalMs: 5,
    });
    runner.start();
    for (let i = 0; i < 5; i++) {
      runner.scheduleScan();
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(starts).toHaveLength(1);
    expect(executed.map((h) => h.runId)).toEqual(['task-1-1']);
    expect(runner.heldRunIds()).toEqual(['task-1-1']);
    release();
    await runner.close();
  });

  it('stops at once an attempt won by a claim still in flight when it closes, and waits for it', async () => {
    const starts: ClaimRunBody[] = [];
    const reasons: unknown[] = [];
    let ended = false;
    const runner = new Runner({
      runner: 'host:1:abcd',
      concurrency: 4,
      runnable: () => [candidate],
      correlationOf: () => 'corr',
      protocol: slowIdempotentProtocol(starts),
      execute: async (_held, signal) => {
        reasons.push(signal.aborted ? signal.reason : 'not aborted');
        await new Promise((r) => setTimeout(r, 20));
        ended = true;
      },
      log: () => undefined,
      claimJitterMs: 0,
      scanIntervalMs: 1_000,
    });
    runner.start();
    runner.scheduleScan();
    // The claim takes 40 ms: close while it is in flight.
    await new Promise((r) => setTimeout(r, 10));
    expect(starts).toHaveLength(1);
    await runner.close('the session closed: test');
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(RunnerShuttingDown);
    expect((reasons[0] as Error).message).toBe('the session closed: test');
    expect(ended).toBe(true);
  });
});
