import type { Execution, Plan, PlanStep, StepOutcome } from '@aos/contracts';
import { renderTable, type Column } from './table';

const PERMITTED = '✓';
const REFUSED = '✗';

/** Steps are numbered from 1 for people; the plan's JSON keeps its 0-based `index`. */
const stepNumber = (index: number): string => String(index + 1);

const STEP_COLUMNS: Column<PlanStep>[] = [
  { header: '#', value: (s) => stepNumber(s.index), align: 'right' },
  { header: 'STEP', value: (s) => s.preview, maxWidth: 70 },
  { header: 'METHOD', value: (s) => `${s.service}.${s.method}` },
  { header: 'RISK', value: (s) => s.risk },
  { header: 'PERMISSION', value: (s) => s.permission },
  { header: 'PERMITTED', value: (s) => (s.permitted ? PERMITTED : REFUSED) },
];

/** The plan as a person reviews it before confirming: its steps, what is unsettled, who read the text, its digest. */
export function renderPlan(plan: Plan): string {
  const lines: string[] = [];
  lines.push(`Plan ${plan.id} for: ${plan.text}`);
  lines.push(plan.steps.length === 0 ? 'No step.' : renderTable(STEP_COLUMNS, plan.steps).trimEnd());
  if (plan.questions.length > 0) {
    lines.push('Questions:');
    for (const question of plan.questions) {
      lines.push(`  ? ${question.text}`);
      for (const option of question.options) lines.push(`      - ${option}`);
    }
  }
  if (plan.notes.length > 0) {
    lines.push('Notes:');
    for (const note of plan.notes) lines.push(`  - ${note}`);
  }
  const fallback = plan.fallbackReason ? ` (the model's proposal was not used: ${plan.fallbackReason})` : '';
  lines.push(`Interpreter: ${plan.interpreter}${fallback}`);
  lines.push(`Digest: ${plan.digest}`);
  return lines.join('\n') + '\n';
}

/**
 * Each step's outcome on a line of its own, then the count. A read step's
 * reply is what the person asked to see ("which agents are paused?"), so it
 * follows its line, indented: as `readable` has it (the dedicated command's
 * view of the same reply), else as JSON. Other replies are in --json.
 */
export function renderExecution(
  execution: Execution,
  plan: Plan,
  readable: ReadonlyMap<number, string> = new Map(),
): string {
  const lines: string[] = [];
  for (const outcome of execution.outcomes) {
    lines.push(outcomeLine(outcome));
    if (!isShownReply(outcome, plan)) continue;
    const view = readable.get(outcome.index);
    lines.push(indented(view === undefined ? prettyJson(outcome.responseJson) : view.trimEnd()));
  }
  const succeeded = execution.outcomes.filter((o) => isSucceeded(o)).length;
  lines.push(`${succeeded} of ${execution.outcomes.length} step(s) succeeded.`);
  return lines.join('\n') + '\n';
}

/** Whether the outcome's reply is printed: a read step's, when it succeeded with one. */
export function isShownReply(outcome: StepOutcome, plan: Plan): boolean {
  const risk: string | undefined = plan.steps[outcome.index]?.risk;
  return risk === 'READ' && isSucceeded(outcome) && outcome.responseJson !== '';
}

function prettyJson(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    // Shown as the server sent it.
    return json;
  }
}

function indented(text: string): string {
  return text.replace(/^/gm, '    ');
}

function outcomeLine(outcome: StepOutcome): string {
  const n = stepNumber(outcome.index);
  const status: string = outcome.status;
  if (status === 'STEP_SUCCEEDED') return `${PERMITTED} ${n}. ${outcome.summary}`;
  if (status === 'STEP_FAILED') {
    return `${REFUSED} ${n}. ${outcome.summary || 'failed'}: ${outcome.code}: ${outcome.message}`.trimEnd();
  }
  return `- ${n}. not run${outcome.summary ? `: ${outcome.summary}` : ''}`;
}

function isSucceeded(outcome: StepOutcome): boolean {
  const status: string = outcome.status;
  return status === 'STEP_SUCCEEDED';
}
