import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '@aos/contracts';
import { RunSimulator, startTestStack, type TestStack } from '@aos/testing';
import { aosBinary } from './aos-binary';

/**
 * `aos tasks` with the real binary against the whole stack. Runs are played
 * by a RunSimulator speaking routing's run protocol, so `--wait` sees a task
 * finish without a model server.
 */
let t: TestStack;
let runner: RunSimulator;
beforeAll(async () => {
  t = await startTestStack();
  runner = await RunSimulator.connect(t.natsUrl);
});
afterAll(async () => {
  await runner?.close();
  await t?.stop();
});

const { aos, json } = aosBinary(() => t);

/** The ASSIGNED task with this text, once routing has recorded it. */
async function assignedTask(text: string): Promise<Task> {
  for (;;) {
    const page = await t.client.tasks.listTasks({ filter: 'state = ASSIGNED' });
    const task = page.tasks.find((x) => x.text === text);
    if (task) return task;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** External agents: the built-in runtime in the stack leaves their tasks to the RunSimulator these tests drive. */
const EXTERNAL = ['--label', 'aos.runtime=external'];

describe('aos tasks', () => {
  it('submits, shows, lists, reassigns and cancels a task', async () => {
    const payroll = await json<{ id: string }>(
      'agents',
      'create',
      '--name',
      'payroll-bot',
      '--description',
      'salary and payslip questions',
      '--capability',
      'hr',
      ...EXTERNAL,
    );
    await aos('agents', 'deploy', payroll.id);
    const other = await json<{ id: string }>(
      'agents',
      'create',
      '--name',
      'benefits-bot',
      '--capability',
      'hr',
      ...EXTERNAL,
    );
    await aos('agents', 'deploy', other.id);

    const submitted = await json<Task>(
      'tasks',
      'submit',
      'Why is my payslip lower this month?',
      '--capability',
      'HR',
      '--priority',
      'high',
    );
    expect(submitted).toMatchObject({ state: 'ASSIGNED', assignedAgentId: payroll.id, priority: 'HIGH' });

    const shown = await aos('tasks', 'get', submitted.id);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/STATE\s+ASSIGNED/);
    expect(shown.stdout).toMatch(/WHY\s+chose payroll-bot/);
    expect(shown.stdout).toContain('Candidates:');
    expect(shown.stdout).toMatch(/TaskRouted/);

    const listed = await aos('tasks', 'list', '--state', 'assigned', '--agent', payroll.id);
    expect(listed.stdout).toContain(submitted.id);
    expect(listed.stdout).toMatch(/1 of 1 task\(s\)/);
    const since = await aos('tasks', 'list', '--agent', payroll.id, '--since', '2000-01-01T00:00:00Z');
    expect(since.stdout).toMatch(/1 of 1 task\(s\)/);
    const later = await aos('tasks', 'list', '--agent', payroll.id, '--since', '2999-01-01T00:00:00Z');
    expect(later.stdout).toMatch(/0 of 0 task\(s\)/);
    const before = await aos('tasks', 'list', '--agent', payroll.id, '--until', '2000-01-01T00:00:00Z');
    expect(before.stdout).toMatch(/0 of 0 task\(s\)/);

    const moved = await json<Task>('tasks', 'reassign', submitted.id, other.id, '--reason', 'benefits question');
    expect(moved).toMatchObject({ assignedAgentId: other.id, routing: { router: 'person' } });

    const cancelled = await json<Task>('tasks', 'cancel', submitted.id, '--reason', 'answered by phone');
    expect(cancelled).toMatchObject({ state: 'CANCELLED', failureReason: 'answered by phone' });
    const watched = await aos('tasks', 'watch', submitted.id);
    expect(watched.code).toBe(4);
    expect(watched.stdout).toMatch(/TaskCancelled/);

    const again = await aos('tasks', 'cancel', submitted.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('FAILED_PRECONDITION');
    const bad = await aos('tasks', 'get', 'not-a-uuid');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/INVALID_ARGUMENT: id/);
    const usage = await aos('tasks', 'submit', 'x', '--priority', 'urgent');
    expect(usage.code).toBe(2);
    // Each `aos` run is a process start: this test makes fifteen of them.
  }, 180_000);

  it('--wait follows the task to its end: exit 0 when it succeeds, 4 when it fails', async () => {
    const agent = await json<{ id: string }>(
      'agents',
      'create',
      '--name',
      'reporter',
      '--description',
      'weekly status reports',
      ...EXTERNAL,
    );
    await aos('agents', 'deploy', agent.id);

    const text = 'Write the weekly status report';
    const waiting = aos('tasks', 'submit', text, '--wait');
    const task = await assignedTask(text);
    await runner.runToEnd('default', task.id, { result: 'All projects on track.' });
    const done = await waiting;
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/ASSIGNED → agent/);
    expect(done.stdout).toMatch(/RunStarted/);
    expect(done.stdout).toMatch(/RunSucceeded\s+run succeeded: All projects on track\./);

    const failing = 'Write the monthly status report';
    const waitingToo = aos('tasks', 'submit', failing, '--wait', '--json');
    const second = await assignedTask(failing);
    await runner.runToEnd('default', second.id, { reason: 'the budget is used up', code: 'RESOURCE_EXHAUSTED' });
    const failed = await waitingToo;
    expect(failed.code).toBe(4);
    const lines = failed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; summary: string });
    expect(lines.at(-1)).toMatchObject({
      type: 'RunFailed',
      summary: 'run failed (RESOURCE_EXHAUSTED): the budget is used up',
    });
  });

  it('documents itself', async () => {
    const help = await aos('tasks', '--help');
    expect(help.stdout).toMatch(/submit/);
    expect(help.stdout).toMatch(/QUEUED → ASSIGNED → RUNNING/);
    const submitHelp = await aos('tasks', 'submit', '--help');
    expect(submitHelp.stdout).toMatch(/--capability <capability>/);
    expect(submitHelp.stdout).toMatch(/--wait/);
  });
});
