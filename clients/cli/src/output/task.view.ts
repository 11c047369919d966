import { taskStepRefs as stepRefs } from '@aos/domain';
import type { RoutingDecision, Task, TaskStep } from '@aos/contracts';
import { idsAsTheyAre, type IdLabels, type NamedKind } from './id-labels';
import { renderKeyValues, renderTable, StreamingTable, type Column } from './table';
import { formatList, formatTimestamp } from './values';

const taskColumns = (labels: IdLabels): Column<Task>[] => [
  { header: 'ID', value: (t) => t.id },
  { header: 'STATE', value: (t) => t.state },
  { header: 'AGENT', value: (t) => labels('agent', t.assignedAgentId) },
  { header: 'PRIORITY', value: (t) => t.priority },
  { header: 'TEXT', value: (t) => t.text.replace(/\s+/g, ' '), maxWidth: 60 },
  { header: 'CREATED', value: (t) => formatTimestamp(t.createTime) },
];

/** What the ids in a step's summary name. */
export { stepRefs };

/** The step with `routed to agent billing-helper (09d75c1d…)` where its summary has the bare id. */
export function withNamedSummary(step: TaskStep, labels: IdLabels): TaskStep {
  let summary = step.summary;
  for (const [kind, id] of stepRefs(step)) summary = summary.replaceAll(id, labels(kind, id));
  return summary === step.summary ? step : { ...step, summary };
}

/** Every id a task's view prints that has a name: its agents, its submitter and its steps'. */
export function taskRefs(task: Task): [NamedKind, string][] {
  return [
    ['agent', task.agentId],
    ['agent', task.assignedAgentId],
    ['principal', task.createdBy],
    ...task.steps.flatMap(stepRefs),
  ];
}

export function renderTaskTable(tasks: readonly Task[], labels: IdLabels = idsAsTheyAre): string {
  return tasks.length === 0 ? 'No tasks found.\n' : renderTable(taskColumns(labels), tasks);
}

export function renderTask(task: Task, labels: IdLabels = idsAsTheyAre): string {
  const text = renderKeyValues([
    ['ID', task.id],
    ['STATE', task.state],
    ['TEXT', task.text],
    ['REQUIRED CAPABILITIES', formatList(task.requiredCapabilities)],
    ['REQUESTED AGENT', labels('agent', task.agentId)],
    ['ASSIGNED AGENT', labels('agent', task.assignedAgentId)],
    ['PRIORITY', task.priority],
    ['ROUTED BY', task.routing?.router ?? ''],
    ['WHY', task.routing?.rationale ?? ''],
    ['ATTEMPT', String(task.attempt)],
    ['APPROVAL', task.approvalId],
    ['RESULT', task.result],
    ['FAILURE', task.failureReason ? `${task.failureCode}: ${task.failureReason}` : ''],
    ['REVISION', String(task.revision)],
    ['CREATED BY', labels('principal', task.createdBy)],
    ['CREATED', formatTimestamp(task.createTime)],
    ['UPDATED', formatTimestamp(task.updateTime)],
    ['LOG POSITION', String(task.logPosition)],
  ]);
  const candidates = renderCandidates(task.routing);
  const steps = task.steps.length
    ? `\nSteps:\n${renderTable(
        STEP_COLUMNS,
        task.steps.map((step) => withNamedSummary(step, labels)),
      )}`
    : '';
  return text + candidates + steps;
}

function renderCandidates(decision: RoutingDecision | undefined): string {
  if (!decision || decision.candidates.length === 0) return '';
  const rows = decision.candidates.map((c) => ({ ...c, chosen: c.agentId === decision.chosenAgentId }));
  return `\nCandidates:\n${renderTable(
    [
      { header: '', value: (c) => (c.chosen ? '*' : '') },
      { header: 'AGENT', value: (c) => c.agentId },
      { header: 'NAME', value: (c) => c.agentName, maxWidth: 30 },
      { header: 'SCORE', value: (c) => c.score.toFixed(2), align: 'right' },
      { header: 'LEXICAL', value: (c) => c.lexicalScore.toFixed(2), align: 'right' },
      { header: 'LOAD', value: (c) => c.loadPenalty.toFixed(2), align: 'right' },
      { header: 'QUEUE', value: (c) => String(c.queueLength), align: 'right' },
    ],
    rows,
  )}`;
}

const STEP_COLUMNS: Column<TaskStep>[] = [
  { header: 'POSITION', value: (s) => String(s.position), align: 'right' },
  { header: 'TIME', value: (s) => formatTimestamp(s.time) },
  { header: 'STEP', value: (s) => s.type },
  { header: 'RUN', value: (s) => s.runId },
  { header: 'SUMMARY', value: (s) => s.summary, maxWidth: 80 },
];

/** Fixed widths: a watch prints each step as it is recorded. */
export function taskStepTable(): StreamingTable<TaskStep> {
  return new StreamingTable<TaskStep>([
    { header: 'POSITION', value: (s) => String(s.position), align: 'right', width: 8 },
    { header: 'STEP', value: (s) => s.type, width: 20 },
    { header: 'SUMMARY', value: (s) => s.summary, width: 80, maxWidth: 120 },
  ]);
}
