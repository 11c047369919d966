import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GovernanceSubjects, type Approval } from '@aos/contracts';
import { loadConfig, type AosConfig } from '@aos/config';
import { createEventStore, type EventStore, type NewEvent } from '@aos/event-store';
import { ServiceClient, type RequestContext } from '@aos/messaging';
import { startNatsServer, taskHistory, type NatsServerHandle } from '@aos/testing';
import { startGovernance, type GovernanceService } from '../src/bootstrap';

/**
 * Withdrawal of approvals whose run is gone, across governance instances and
 * restarts: every instance reacts to the same task change and the log holds
 * one ApprovalWithdrawn, with no error logged by the loser; an approval whose
 * task was cancelled while governance was down is withdrawn when it starts.
 * Routing's and the runtime's events are appended as they would write them.
 */
let nats: NatsServerHandle;
let dataDir: string;
let config: AosConfig;
let store: EventStore;
let client: ServiceClient;
const services: GovernanceService[] = [];
const TENANT = 'acme';

beforeAll(async () => {
  nats = await startNatsServer();
  dataDir = mkdtempSync(join(tmpdir(), 'aos-gov-withdraw-'));
  config = loadConfig({ AOS_NATS_URL: nats.url, AOS_LOG_LEVEL: 'warn', AOS_DATA_DIR: dataDir });
  store = await createEventStore({ kind: 'jetstream', natsUrl: nats.url });
  client = new ServiceClient(nats.url);
  await client.connect();
});

afterEach(async () => {
  await Promise.allSettled(services.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await client?.close();
  await store?.close();
  await nats?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function startOne(): Promise<GovernanceService> {
  const service = await startGovernance(config, { shutdownHooks: false });
  services.push(service);
  return service;
}

/** An event as the service named `actor` records it. */
function event({ type, data }: { type: string; data: object }, actor: string): NewEvent {
  const id = randomUUID();
  const ids = { correlationId: id, causationId: id, requestId: id };
  return {
    id,
    type,
    data,
    metadata: { tenantId: TENANT, actor: { kind: 'service', id: actor }, ...ids, schemaVersion: 1 },
  };
}

/** A task routing submitted, routed and started (attempt 1), and its run's start (the runtime's). */
async function runningTask(): Promise<{ taskId: string; runId: string }> {
  const taskId = `t${randomUUID().slice(0, 8)}`;
  const runId = `${taskId}-1`;
  const { submitted, routed, started } = taskHistory(taskId, 'payer', 'r1');
  await store.append(
    { tenantId: TENANT, category: 'task', id: taskId },
    [submitted, routed, started(1)].map((e) => event(e, 'routing')),
    { expectedRevision: 'no_stream' },
  );
  const runStarted = {
    type: 'RunStarted',
    data: {
      runId,
      taskId,
      attempt: 1,
      agentId: 'payer',
      definitionVersion: 1,
      model: 'm',
      runner: 'r1',
      previousRunId: '',
    },
  };
  await store.append({ tenantId: TENANT, category: 'run', id: runId }, [event(runStarted, 'runtime')], {
    expectedRevision: 'no_stream',
  });
  return { taskId, runId };
}

function requestApproval(runId: string): Promise<Approval> {
  const ctx: RequestContext = { tenantId: TENANT, actor: { kind: 'service', id: 'runtime' }, correlationId: runId };
  return client.request(GovernanceSubjects.requestApproval, ctx, {
    subject: 'agent:payer',
    action: 'tools.call',
    resource: 'tools/pay',
    reason: 'needs approval',
    runId,
    requestId: `${runId}/approval/call-1`,
  } as never) as Promise<Approval>;
}

async function cancel(taskId: string): Promise<void> {
  await store.append(
    { tenantId: TENANT, category: 'task', id: taskId },
    [event(taskHistory(taskId, 'payer').cancelled('not needed'), 'routing')],
    { expectedRevision: 2 },
  );
}

async function approvalEvents(approvalId: string): Promise<string[]> {
  const events = await store.readStream({ tenantId: TENANT, category: 'approval', id: approvalId });
  return events.map((e) => e.type);
}

/** What the process writes to stderr (both instances log there) while `body` runs. */
async function stderrDuring(body: () => Promise<void>): Promise<string> {
  const written: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
    written.push(String(chunk));
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    await body();
  } finally {
    process.stderr.write = original;
  }
  return written.join('');
}

describe('withdrawing approvals of gone runs', () => {
  it('two instances react to the same cancellations: each approval is withdrawn once, and neither logs an error', async () => {
    await Promise.all([startOne(), startOne()]);
    const tasks = await Promise.all(Array.from({ length: 6 }, () => runningTask()));
    const approvals = await Promise.all(tasks.map((t) => requestApproval(t.runId)));
    expect(approvals.map((a) => a.state)).toEqual(approvals.map(() => 'PENDING'));

    const logged = await stderrDuring(async () => {
      await Promise.all(tasks.map((t) => cancel(t.taskId)));
      for (const approval of approvals) {
        await expect
          .poll(() => approvalEvents(approval.id), { timeout: 10_000, interval: 100 })
          .toEqual(['ApprovalRequested', 'ApprovalWithdrawn']);
      }
      // Whatever the loser does, it does within its check: give it time to append or log a second time.
      await new Promise((r) => setTimeout(r, 1_000));
    });
    for (const approval of approvals) {
      expect(await approvalEvents(approval.id)).toEqual(['ApprovalRequested', 'ApprovalWithdrawn']);
    }
    expect(logged).not.toContain('could not withdraw');
  });

  it('withdraws at start an approval whose task was cancelled while governance was down, and keeps one whose run still runs', async () => {
    const first = await startOne();
    const [gone, alive] = [await runningTask(), await runningTask()];
    const [goneApproval, aliveApproval] = [await requestApproval(gone.runId), await requestApproval(alive.runId)];
    await first.close();

    await cancel(gone.taskId);
    // The alive run goes on working: calls the model (events that never move its task).
    await store.append(
      { tenantId: TENANT, category: 'run', id: alive.runId },
      [
        event(
          {
            type: 'ModelCalled',
            data: {
              runId: alive.runId,
              turn: 1,
              model: 'm',
              promptTokens: 1,
              completionTokens: 1,
              totalTokens: 2,
              finishReason: 'stop',
              decision: 'tool_calls',
              toolCalls: [{ callId: 'call-1', name: 'pay' }],
              content: '',
              durationMs: 1,
              retries: 0,
            },
          },
          'runtime',
        ),
      ],
      { expectedRevision: 0 },
    );

    await startOne();
    await expect
      .poll(() => approvalEvents(goneApproval.id), { timeout: 10_000, interval: 100 })
      .toEqual(['ApprovalRequested', 'ApprovalWithdrawn']);
    const withdrawn = await store.readStream({ tenantId: TENANT, category: 'approval', id: goneApproval.id });
    expect(withdrawn[1]?.data).toMatchObject({ reason: `task ${gone.taskId} was cancelled before anyone decided` });
    expect(await approvalEvents(aliveApproval.id)).toEqual(['ApprovalRequested']);

    // Live again: cancelling the other task now withdraws its approval too.
    await cancel(alive.taskId);
    await expect
      .poll(() => approvalEvents(aliveApproval.id), { timeout: 10_000, interval: 100 })
      .toEqual(['ApprovalRequested', 'ApprovalWithdrawn']);
  });
});
