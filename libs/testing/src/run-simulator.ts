import { randomUUID } from 'node:crypto';
import {
  RoutingSubjects,
  RUN_CATEGORY,
  RUN_EVENTS_SCHEMA_VERSION,
  type RunEvent,
  type RunTransitionReply,
  type StartRunReply,
} from '@aos/contracts';
import { createEventStore, type EventStore } from '@aos/event-store';
import { ServiceClient, type RequestContext } from '@aos/messaging';

/**
 * Plays a runner against routing's internal run protocol (startRun, finishRun)
 * and writes the run's events the way the runtime records them, for tests of
 * what users see of a task (GetTask steps, WatchTask, `aos tasks --wait`)
 * without a model server. It speaks the real protocol over a real NATS; it
 * never claims to be the runtime's behaviour, only its wire contract.
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
  start(tenantId: string, taskId: string, attempt = 1): Promise<StartRunReply> {
    return this.client.request<StartRunReply>(RoutingSubjects.startRun, this.ctx(tenantId), {
      taskId,
      attempt,
      runner: this.runner,
      request_id: randomUUID(),
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

  finish(
    tenantId: string,
    taskId: string,
    runId: string,
    outcome: { result: string } | { reason: string; code: string },
  ): Promise<RunTransitionReply> {
    return this.client.request<RunTransitionReply>(RoutingSubjects.finishRun, this.ctx(tenantId), {
      taskId,
      runId,
      outcome: 'result' in outcome ? 'SUCCEEDED' : 'FAILED',
      result: 'result' in outcome ? outcome.result : '',
      reason: 'reason' in outcome ? outcome.reason : '',
      code: 'code' in outcome ? outcome.code : '',
      request_id: randomUUID(),
    });
  }

  /** Start, one model call that answers, and success (or failure): a whole short run. */
  async runToEnd(
    tenantId: string,
    taskId: string,
    outcome: { result: string } | { reason: string; code: string },
  ): Promise<StartRunReply> {
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
    await this.finish(tenantId, taskId, run.runId, outcome);
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
