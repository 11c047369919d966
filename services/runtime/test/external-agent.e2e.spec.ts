import { randomUUID } from 'node:crypto';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExternalAgent, type ExternalAgent, type TaskContext } from '@aos/agent-sdk';
import type { Agent, AgentMessage, PolicyRule, RuntimeMessage, Task, Tool, ToolCallResult } from '@aos/contracts';
import { createEventStore, type EventStore, type RecordedEvent } from '@aos/event-store';
import { loadServiceDefinition, type AosClient } from '@aos/grpc-client';
import { firstEvent, startTestStack, taskEnd, type TestStack } from '@aos/testing';
import { registerEchoTool, startEchoServer, type EchoServer } from './support/echo-server';
import { startExampleAgent, type ExampleAgentProcess } from './support/example-agent';
import { attachAgent, submitTo } from './support/external-agents';

/**
 * External agents in the whole stack: a process attached with the SDK over
 * RuntimeService.Connect (through the gateway, hosted by a runtime instance)
 * receives the tasks routing assigns to its agent, calls tools through
 * AgentOS (governance decides, the log records), reports steps and results.
 */
const LEASE_MS = 1500;
let t: TestStack;
let api: AosClient;
let store: EventStore;
let echo: EchoServer;
const tools: Record<string, Tool> = {};
const agents: ExternalAgent[] = [];
let example: ExampleAgentProcess | undefined;

const rid = () => randomUUID();

beforeAll(async () => {
  echo = await startEchoServer();
  t = await startTestStack({ env: { AOS_RUN_LEASE_MS: String(LEASE_MS) } });
  api = t.client;
  store = await createEventStore({ kind: 'jetstream', natsUrl: t.natsUrl });
  for (const name of ['echo', 'vault']) tools[name] = await registerEchoTool(api, echo, name);
});

afterAll(async () => {
  example?.child.kill('SIGKILL');
  await Promise.all(agents.map((a) => a.close()));
  await store?.close();
  await t?.stop();
  await echo?.stop();
});

async function externalAgent(name: string, labels: Record<string, string> = { 'aos.runtime': 'external' }) {
  const created = await api.agents.createAgent({
    agent: {
      name: `${name}-${rid().slice(0, 6)}`,
      description: `${name} (an external process)`,
      capabilities: [name],
      toolIds: [tools.echo!.id],
      labels,
    } as Partial<Agent> as Agent,
    requestId: rid(),
  });
  return api.agents.deployAgent({ id: created.id, requestId: rid(), reason: '' });
}

function attach(agentId: string, handleTask: (ctx: TaskContext) => Promise<string>, apiKey = t.apiKey) {
  return attachAgent(t, agents, agentId, handleTask, apiKey);
}

const submit = (text: string, agentId: string): Promise<Task> => submitTo(api, text, agentId);

/** The first event in the log that matches; waits for it to be appended. */
const logEvent = (match: (e: RecordedEvent) => boolean) => firstEvent(store, match);

const data = (e: RecordedEvent) => e.data as Record<string, unknown>;
/** The event that ended the task: its run's RunSucceeded or RunFailed (the task's end is derived from it). */
const taskEnded = (taskId: string) => taskEnd(store, taskId);

/** Everything the run's stream holds once its end is recorded. */
async function runEvents(runId: string): Promise<RecordedEvent[]> {
  await logEvent((e) => e.streamId === runId && ['RunSucceeded', 'RunFailed', 'RunStopped'].includes(e.type));
  return store.readStream({ tenantId: 'default', category: 'run', id: runId });
}

/** Connect called raw: writes `first`, resolves with how the stream ended. */
function rawConnect(apiKey: string, first: AgentMessage): Promise<{ code: string; details: string }> {
  const method = loadServiceDefinition('RuntimeService').Connect;
  const client = new Client(t.gatewayAddr, credentials.createInsecure());
  const md = new Metadata();
  md.set('authorization', `Bearer ${apiKey}`);
  const call = client.makeBidiStreamRequest<AgentMessage, RuntimeMessage>(
    method.path,
    method.requestSerialize as (m: AgentMessage) => Buffer,
    method.responseDeserialize as (b: Buffer) => RuntimeMessage,
    md,
  );
  return new Promise((resolve) => {
    call.on('data', () => undefined);
    call.on('error', (err: ServiceError) => {
      client.close();
      resolve({ code: status[err.code], details: err.details });
    });
    call.on('end', () => {
      client.close();
      resolve({ code: 'OK', details: '' });
    });
    call.write(first);
  });
}

describe('an external agent attached with the SDK', () => {
  it('receives a routed task, calls a granted tool (ALLOWED) and an ungranted one (DENIED), reports a step, succeeds', async () => {
    const agent = await externalAgent('intake');
    const seen: { decision: string; result: string; error: string }[] = [];
    const process = attach(agent.id, async (ctx) => {
      ctx.reportStep('read the task', { characters: ctx.task.text.length });
      const echoed = await ctx.callTool(tools.echo!.name, { text: ctx.task.text });
      const refused = await ctx.callTool(tools.vault!.name, { secret: 'all of it' });
      seen.push(echoed, refused);
      return `echo said ${echoed.result}`;
    });
    const attached = await process.attached;
    expect(attached.agent?.id).toBe(agent.id);
    expect(attached.tools.map((x) => x.name)).toEqual([tools.echo!.name]);

    const task = await submit('file the intake form', agent.id);
    const end = await taskEnded(task.id);
    expect(end.type).toBe('RunSucceeded');

    expect(seen.map((s) => s.decision)).toEqual(['ALLOWED', 'DENIED']);
    expect(JSON.parse(seen[0]!.result)).toEqual({ echoed: { text: 'file the intake form' } });
    expect(seen[1]!.error).toMatch(/not granted/);
    expect(echo.requests).toContainEqual(JSON.stringify({ text: 'file the intake form' }));

    const events = await runEvents(`${task.id}-1`);
    expect(events.map((e) => e.type)).toEqual([
      'RunStarted',
      'StepReported',
      'ToolCalled',
      'ToolCalled',
      'RunSucceeded',
    ]);
    const [started, step, allowed, denied, succeeded] = events.map(data);
    expect(started).toMatchObject({ model: '', runner: `external:${attached.sessionId}`, attempt: 1 });
    expect(step).toMatchObject({ summary: 'read the task', detailJson: '{"characters":20}' });
    expect(allowed).toMatchObject({ toolId: tools.echo!.id, decision: 'ALLOWED', outcome: 'ok' });
    expect(denied).toMatchObject({ toolId: tools.vault!.id, decision: 'DENIED', outcome: 'refused' });
    expect(succeeded!.result).toMatch(/^echo said /);
    expect(events.every((e) => e.metadata.actor.kind === 'agent' && e.metadata.actor.id === agent.id)).toBe(true);

    const done = await api.tasks.getTask({ id: task.id, minPosition: end.position });
    expect(done.state).toBe('SUCCEEDED');
    expect(done.result).toBe(succeeded!.result);
  });

  it('a call that needs approval waits (task WAITING_APPROVAL); the result arrives once a person approves', async () => {
    const agent = await externalAgent('careful');
    await api.governance.addPolicyRule({
      rule: {
        subject: `agent:${agent.id}`,
        action: 'tools.call',
        resource: `tools/${tools.echo!.id}`,
        effect: 'ALLOW' as PolicyRule['effect'],
        requiresApproval: true,
      } as PolicyRule,
      requestId: rid(),
    });
    const results: ToolCallResult[] = [];
    await attach(agent.id, async (ctx) => {
      results.push(await ctx.callTool(tools.echo!.name, { text: 'approved?' }));
      return 'echoed after approval';
    }).attached;
    const task = await submit('echo once approved', agent.id);
    const waiting = await logEvent((e) => e.streamId.startsWith(`${task.id}-`) && e.type === 'ApprovalAwaited');
    expect((await api.tasks.getTask({ id: task.id, minPosition: waiting.position })).state).toBe('WAITING_APPROVAL');
    expect(results).toEqual([]);
    await api.governance.decideApproval({
      id: data(waiting).approvalId as string,
      approve: true,
      reason: 'fine',
      requestId: rid(),
    });
    expect((await taskEnded(task.id)).type).toBe('RunSucceeded');
    expect(results).toMatchObject([{ decision: 'APPROVED', error: '' }]);
    expect(JSON.parse(results[0]!.result)).toEqual({ echoed: { text: 'approved?' } });
  });

  it('fails the task with the reason the agent gives', async () => {
    const agent = await externalAgent('doubter');
    await attach(agent.id, async () => {
      throw new Error('the form is illegible');
    }).attached;
    const task = await submit('read this form', agent.id);
    const end = await taskEnded(task.id);
    expect(end.type).toBe('RunFailed');
    expect(data(end)).toMatchObject({ reason: 'the form is illegible' });
  });

  it('cancelling the task revokes it: the handler is told to stop and the run records RunStopped', async () => {
    const agent = await externalAgent('patient');
    let received!: () => void;
    const gotIt = new Promise<void>((r) => (received = r));
    let revoked!: (reason: string) => void;
    // The revocation reaches the process over the stream after RunStopped is recorded: wait for it.
    const revokedBecause = new Promise<string>((r) => (revoked = r));
    await attach(agent.id, (ctx) => {
      received();
      return new Promise<string>((_, reject) =>
        ctx.signal.addEventListener('abort', () => {
          revoked((ctx.signal.reason as Error).message);
          reject(ctx.signal.reason);
        }),
      );
    }).attached;
    const task = await submit('wait for me', agent.id);
    await gotIt;
    await api.tasks.cancelTask({ id: task.id, reason: 'no longer needed', requestId: rid() } as never);
    const stopped = (await runEvents(`${task.id}-1`)).at(-1)!;
    expect(stopped.type).toBe('RunStopped');
    expect(await revokedBecause).toMatch(/cancelled/);
  });

  it('closing the SDK mid-task abandons the attempt; a new session gets attempt 2', async () => {
    const agent = await externalAgent('flaky');
    let received!: () => void;
    const gotFirst = new Promise<void>((r) => (received = r));
    const first = attach(agent.id, (ctx) => {
      received();
      // Works until told to stop.
      return new Promise<string>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    });
    await first.attached;
    const task = await submit('a long job', agent.id);
    await gotFirst;
    await first.close();

    const stopped = (await runEvents(`${task.id}-1`)).at(-1)!;
    expect(stopped.type).toBe('RunStopped');
    // Given back at once (not left to the lease), saying why.
    const abandoned = await logEvent((e) => e.type === 'TaskAttemptAbandoned' && data(e).taskId === task.id);
    expect(data(abandoned).reason).toMatch(/released it: the session closed/);

    const attempts: number[] = [];
    const second = attach(agent.id, async (ctx) => {
      attempts.push(ctx.attempt);
      return 'done on the second try';
    });
    const attached = await second.attached;
    const end = await taskEnded(task.id);
    expect(end.type).toBe('RunSucceeded');
    expect(attempts).toEqual([2]);
    const started = data((await runEvents(`${task.id}-2`))[0]!);
    expect(started).toMatchObject({
      attempt: 2,
      runner: `external:${attached.sessionId}`,
      previousRunId: `${task.id}-1`,
    });
  });
});

describe('an attached agent that is retired', () => {
  it('has its session ended with FAILED_PRECONDITION; the SDK stops instead of reconnecting', async () => {
    const agent = await externalAgent('retiring');
    const errors: Error[] = [];
    // Reconnecting is on (the default): a status no retry can fix must stop it anyway.
    const sdk = runExternalAgent({
      address: t.gatewayAddr,
      apiKey: t.apiKey,
      agentId: agent.id,
      handleTask: () => Promise.resolve('never asked'),
      onError: (e) => errors.push(e),
    });
    agents.push(sdk);
    await sdk.attached;
    await api.agents.retireAgent({ id: agent.id, requestId: rid(), reason: 'replaced' });
    const failure = await sdk.stopped;
    expect(failure?.code).toBe('FAILED_PRECONDITION');
    expect(failure?.message).toContain(`agent ${agent.id} was retired`);
    // No reconnect: that would be refused (retired) and reported a second time.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(errors).toHaveLength(1);
  });
});

describe('attaching is refused', () => {
  it('when the first message is not attach: INVALID_ARGUMENT', async () => {
    const ended = await rawConnect(t.apiKey, { step: { taskId: rid(), summary: 'hello', detailJson: '' } });
    expect(ended.code).toBe('INVALID_ARGUMENT');
    expect(ended.details).toMatch(/attach/);
  });

  it('for an unknown agent: NOT_FOUND', async () => {
    const refused = await attach(rid(), async () => 'never').attached.catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('for an agent without the aos.runtime=external label: FAILED_PRECONDITION', async () => {
    const builtIn = await externalAgent('built-in', {});
    const refused = await attach(builtIn.id, async () => 'never').attached.catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect((refused as Error).message).toMatch(/aos\.runtime=external/);
  });

  it('for a key without runtime.attach: PERMISSION_DENIED', async () => {
    const agent = await externalAgent('guarded');
    const principal = await api.governance.createPrincipal({
      principal: { kind: 'USER', name: `viewer-${rid().slice(0, 6)}`, oidcSubject: '' },
      requestId: rid(),
    } as never);
    await api.governance.assignRole({ subject: principal.subject, role: 'viewer', requestId: rid() } as never);
    const key = await api.governance.createApiKey({
      principalId: principal.id,
      description: 'e2e',
      requestId: rid(),
    } as never);
    const refused = await attach(agent.id, async () => 'never', key.secret).attached.catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'PERMISSION_DENIED' });
  });
});

describe('the example agent (clients/agent-example)', () => {
  it('runs as a child process against the stack and a task it receives succeeds', async () => {
    const agent = await externalAgent('example');
    example = await startExampleAgent(['--agent', agent.id, '--tool', tools.echo!.name], t);
    const task = await submit('say hello to the example', agent.id);
    const end = await taskEnded(task.id);
    expect(end.type).toBe('RunSucceeded');
    const done = await api.tasks.getTask({ id: task.id, minPosition: end.position });
    expect(done.result).toMatch(/^Called echo-.*; it answered: .*say hello to the example/);
    expect(example.output()).toContain(`task ${task.id} (attempt 1)`);
    expect(await example.stop()).toBe(0);
    example = undefined;
  });
});
