import { randomUUID } from 'node:crypto';
import {
  RoutingSubjects,
  RUN_CATEGORY,
  RUN_EVENTS_SCHEMA_VERSION,
  type ClaimRunReply,
  type RunEvent,
} from '@aos/contracts';
import { createEventStore, type EventStore } from '@aos/event-store';
import { ServiceClient, type RequestContext } from '@aos/messaging';

/**
 * Plays a runner against routing's run-claim protocol (claimRun) and writes
 * the run's events the way the runtime records them (the outcome is the run's
 * RunSucceeded or RunFailed, from which routing derives the task's end), for
 * tests of what users see of a task (GetTask steps, WatchTask, `aos tasks
 * --wait`) without a model server. It speaks the real protocol over a real
 * NATS; it never claims to be the runtime's behaviour, only its wire contract.
 */
export class RunSimulator {
  private constructor(
    private readonly client: ServiceClient,
    private readonly store: EventStore,
    readonly runner: string,
  ) {}

  static async connect(natsUrl: string, runner = `simulated-${randomUUID().slice(0, 8)}`): Promise<RunSimulator> {
    const client = new ServiceClient(natsUrl);
    await client.connect();
    const store = await createEventStore({ kind: 'jetstream', natsUrl });
    return new RunSimulator(client, store, runner);
  }

  /** Claims the next attempt of an ASSIGNED task (FAILED_PRECONDITION when another runner has it). */
  start(tenantId: string, taskId: string, attempt = 1): Promise<ClaimRunReply> {
    return this.client.request(RoutingSubjects.claimRun, this.ctx(tenantId), {
      taskId,
      attempt,
      runner: this.runner,
      requestId: randomUUID(),
    });
  }

  /** Records run events in `run-<runId>` as the runtime would (e.g. RunStarted, ModelCalled). */
  async record(tenantId: string, runId: string, events: RunEvent[]): Promise<number> {
    const result = await this.store.append(
      { tenantId, category: RUN_CATEGORY, id: runId },
      events.map((e) => ({
        id: randomUUID(),
        type: e.type,
        data: e.data,
        metadata: {
          tenantId,
          actor: { kind: 'service', id: this.runner },
          correlationId: runId,
          causationId: runId,
          requestId: randomUUID(),
          schemaVersion: RUN_EVENTS_SCHEMA_VERSION,
        },
      })),
    );
    return result.position;
  }

  /** Claim, one model call that answers, and the run's success (or failure): a whole short run. */
  async runToEnd(
    tenantId: string,
    taskId: string,
    outcome: { result: string } | { reason: string; code: string },
  ): Promise<ClaimRunReply> {
    const run = await this.start(tenantId, taskId);
    const answer = 'result' in outcome ? outcome.result : '';
    await this.record(tenantId, run.runId, [
      {
        type: 'RunStarted',
        data: {
          runId: run.runId,
          taskId,
          attempt: run.attempt,
          agentId: run.agentId,
          definitionVersion: 1,
          model: 'scripted',
          runner: this.runner,
          previousRunId: run.previousRunId,
        },
      },
      {
        type: 'ModelCalled',
        data: {
          runId: run.runId,
          turn: 1,
          model: 'scripted',
          promptTokens: 10,
          completionTokens: 5,
          totalTokens: 15,
          finishReason: 'stop',
          decision: 'answer',
          toolCalls: [],
          content: answer,
          durationMs: 1,
          retries: 0,
        },
      },
      'result' in outcome
        ? { type: 'RunSucceeded', data: { runId: run.runId, result: outcome.result } }
        : { type: 'RunFailed', data: { runId: run.runId, reason: outcome.reason, code: outcome.code } },
    ]);
    return run;
  }

  async close(): Promise<void> {
    await this.client.close();
    await this.store.close();
  }

  private ctx(tenantId: string): RequestContext {
    return { tenantId, actor: { kind: 'service', id: this.runner }, correlationId: randomUUID() };
  }
}
