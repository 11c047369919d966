import { randomUUID } from 'node:crypto';
import { planDigest, planMethod, type PlanMethod, type ResolvedStep } from '@aos/command-language';
import {
  Interpreter,
  StepStatus,
  ToolRisk,
  toTimestamp,
  type Execution,
  type Plan,
  type StepOutcome,
} from '@aos/contracts';
import {
  PLAN_CATEGORY,
  PLAN_EVENTS_SCHEMA_VERSION,
  type PlanExecuted,
  type PlanInterpreted,
  type PlanStepOutcomeRecord,
  type PlanStepRecord,
} from '@aos/domain';
import { AosError, FailedPreconditionError, NotFoundError, PermissionDeniedError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import { type CommandPipeline, type WriterHost, writerPipeline } from '@aos/command-pipeline';
import type { DirectoryProjection } from '../directory/directory.projection';
import type { PlanExecutor } from '../execution/plan-executor';
import type { TextInterpreter } from '../interpret/text-interpreter';
import { subjectOf, type PlanAccess } from './plan.access';
import { decide, initialPlanState, type PlanCommand } from './plan.decider';
import { PLAN_EVENT_ID_NAMESPACE, interpretRequestId, planIdFor } from './plan.ids';
import type { PlanProjection, PlanRecord } from './plan.projection';
import type { ExecuteQuery, GetPlanQuery, InterpretQuery } from './plan.validation';

export interface PlanHandlerDeps extends WriterHost {
  projection: PlanProjection;
  directory: DirectoryProjection;
  access: PlanAccess;
  interpreter: TextInterpreter;
  executor: PlanExecutor;
  now?: () => Date;
}

/** How long GetPlan waits for `min_position` (the proto promises 5 s). */
export const READ_WAIT_MS = 5_000;
/** A step's reply is kept in the log up to this size (the caller gets it whole). */
export const LOGGED_RESPONSE_MAX_BYTES = 16 * 1024;
/** All replies of one execution in the log, so that its event stays well inside a NATS message. */
const LOGGED_RESPONSES_MAX_BYTES = 512 * 1024;
/**
 * The most steps one plan holds, and the most bytes its steps' requests take: "retire every agent" in a
 * tenant of thousands would otherwise record an event larger than a NATS message (1 MiB by default), and
 * nobody reviews a thousand lines before confirming. Past either, the plan asks to narrow it down instead.
 */
export const MAX_PLAN_STEPS = 100;
const MAX_PLAN_REQUEST_BYTES = 512 * 1024;

/**
 * CommandService: Interpret records a plan (runs nothing), GetPlan reads the
 * caller's own, Execute runs a confirmed one as the caller and records what
 * each step did. Both records go through the one command pipeline.
 */
export class PlanHandler {
  readonly pipeline: CommandPipeline;
  private readonly now: () => Date;

  constructor(private readonly deps: PlanHandlerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.pipeline = writerPipeline(deps, {
      model: 'plan',
      schemaVersion: PLAN_EVENTS_SCHEMA_VERSION,
      eventNamespace: PLAN_EVENT_ID_NAMESPACE,
      categories: [PLAN_CATEGORY],
      waits: { readMs: READ_WAIT_MS, writeMs: 10_000, catchUpMs: 2_000 },
    });
  }

  async interpret(ctx: RequestContext, query: InterpretQuery): Promise<Plan> {
    const createdBy = subjectOf(ctx);
    const requestId = query.requestId ?? randomUUID();
    const planId = planIdFor(ctx.tenantId, createdBy, requestId);
    // A retry is answered with the plan as first made, without interpreting again (a model may answer otherwise).
    const existing = await this.pipeline.find(() => this.deps.projection.get(ctx.tenantId, planId), !!query.requestId);
    const plan = existing ? undefined : await this.interpretText(ctx, query.text, planId, createdBy);
    return this.record(ctx, planId, interpretRequestId(createdBy, requestId), ['PlanInterpreted'], () =>
      plan ? [{ type: 'RecordPlan', plan }] : [],
    ).then(() => toProtoPlan(this.requireRecord(ctx.tenantId, planId)));
  }

  async getPlan(ctx: RequestContext, query: GetPlanQuery): Promise<Plan> {
    await this.pipeline.reach(query.minPosition);
    return toProtoPlan(await this.ownPlan(ctx, query.planId));
  }

  async execute(ctx: RequestContext, query: ExecuteQuery): Promise<Execution> {
    const record = await this.ownPlan(ctx, query.planId);
    const { plan } = record;
    this.checkRunnable(record, query);
    this.precheck(ctx, plan);
    const outcomes = await this.deps.executor.run(ctx, { planId: plan.planId, digest: plan.digest, steps: plan.steps });
    const succeeded = outcomes.every((o) => o.status === 'SUCCEEDED');
    const execution = { planId: plan.planId, digest: plan.digest, outcomes: forTheLog(outcomes), succeeded };
    // Each Execute is recorded as one more attempt; the steps it re-sent were answered by replay.
    const position = await this.record(ctx, plan.planId, `execute:${randomUUID()}`, ['PlanExecuted'], () => [
      { type: 'RecordExecution', execution },
    ]);
    return { planId: plan.planId, digest: plan.digest, outcomes: outcomes.map(toProtoOutcome), succeeded, position };
  }

  /** Every check before anything runs: the digest, the plan's state, the confirmation, each step's permission now. */
  private checkRunnable(record: PlanRecord, query: ExecuteQuery): void {
    const { plan } = record;
    if (query.digest !== plan.digest) {
      throw new FailedPreconditionError(
        `digest: ${query.digest} is not the digest of plan ${plan.planId} (${plan.digest}): the plan you confirmed is not plan ${plan.planId} as recorded`,
      );
    }
    if (plan.questions.length > 0) {
      throw new FailedPreconditionError(
        `plan ${plan.planId} has ${plan.questions.length} open question(s) and cannot run; ask again with the answer in the text`,
      );
    }
    if (plan.steps.length === 0) throw new FailedPreconditionError(`plan ${plan.planId} has no step to run`);
    const destructive = plan.steps.flatMap((s, i) => (s.risk === 'DESTRUCTIVE' ? [i] : []));
    if (destructive.length > 0 && !query.confirmDestructive) {
      throw new FailedPreconditionError(
        `confirm_destructive: plan ${plan.planId} has destructive step(s) ${destructive.join(', ')} (${plan.steps[destructive[0]!]!.preview}); confirm them to run it`,
      );
    }
  }

  /** The pre-check: any step the caller may not run now refuses the whole plan, before any step runs. */
  private precheck(ctx: RequestContext, plan: PlanInterpreted): void {
    for (const [index, step] of plan.steps.entries()) {
      const request = JSON.parse(step.requestJson) as unknown;
      const decision = this.deps.access.authorize(ctx, step.service, step.permission, request);
      if (!decision.allowed) {
        throw new PermissionDeniedError(
          `step ${index} (${step.preview}): ${subjectOf(ctx)} lacks permission ${step.permission} on ${decision.refused ?? '*'}, required by ${step.service}.${step.method}; nothing was run`,
        );
      }
    }
  }

  private async interpretText(
    ctx: RequestContext,
    text: string,
    planId: string,
    createdBy: string,
  ): Promise<PlanInterpreted> {
    const { access, directory, interpreter } = this.deps;
    const { resolution, ...made } = await interpreter.interpret({
      text,
      directory: directory.of(ctx.tenantId),
      now: this.now(),
      isPermitted: (step) => access.authorize(ctx, step.service, catalogEntry(step).permission, step.request).allowed,
    });
    const tooLarge = tooLargeQuestion(resolution.steps);
    const steps = tooLarge ? [] : resolution.steps;
    const questions = resolution.questions.map((q) => ({ text: q.text, options: [...q.options] }));
    return {
      planId,
      text,
      interpreter: made.interpreter,
      fallbackReason: made.fallbackReason,
      steps: steps.map((step) => this.stepRecord(ctx, step)),
      questions: tooLarge ? [...questions, { text: tooLarge, options: [] }] : questions,
      notes: [...resolution.notes],
      digest: planDigest(steps),
      createdBy,
    };
  }

  /** A resolved step with what the caller sees before confirming: its permission, resource, dry run and risk. */
  private stepRecord(ctx: RequestContext, step: ResolvedStep): PlanStepRecord {
    const entry = catalogEntry(step);
    const decision = this.deps.access.authorize(ctx, step.service, entry.permission, step.request);
    return {
      service: step.service,
      method: step.method,
      requestJson: JSON.stringify(step.request),
      preview: step.preview,
      permission: entry.permission,
      resource: decision.resources.join(','),
      permitted: decision.allowed,
      permissionExplanation: decision.explanation,
      risk: entry.risk,
      inputs: step.inputs.map((i) => ({ field: i.field, fromStep: i.fromStep, fromField: i.fromField })),
    };
  }

  /** Records one command on the plan's stream through the pipeline; the position it reached. */
  private record(
    ctx: RequestContext,
    planId: string,
    requestId: string,
    replays: readonly string[],
    commands: () => PlanCommand[],
  ): Promise<number> {
    return this.pipeline.handle(ctx, {
      requestId,
      replays,
      stream: { category: PLAN_CATEGORY, id: planId },
      creates: replays.includes('PlanInterpreted'),
      load: () => {
        const record = this.deps.projection.get(ctx.tenantId, planId);
        return record && { state: record.state, revision: record.revision };
      },
      initial: initialPlanState,
      decide: (state) => commands().flatMap((command) => decide(command, state)),
      reply: (done) => done.position,
    });
  }

  /** The caller's own plan; another principal's (or tenant's) is NOT_FOUND, as if it did not exist. */
  private async ownPlan(ctx: RequestContext, planId: string): Promise<PlanRecord> {
    const record = await this.pipeline.find(() => this.deps.projection.get(ctx.tenantId, planId), true);
    if (!record || record.plan.createdBy !== subjectOf(ctx)) throw new NotFoundError('plan', planId);
    return record;
  }

  private requireRecord(tenantId: string, planId: string): PlanRecord {
    const record = this.deps.projection.get(tenantId, planId);
    if (!record) throw new AosError('INTERNAL', `plan ${planId} was recorded but is not in the read model`);
    return record;
  }
}

/** The catalog entry of a resolved step; the interpreters produce no other method, so its absence is a bug. */
function catalogEntry(step: ResolvedStep): PlanMethod {
  const entry = planMethod(step.service, step.method);
  if (!entry) throw new AosError('INTERNAL', `${step.service}.${step.method} is not a method a plan may call`);
  return entry;
}

/** The outcomes as the log keeps them: each reply cut to its share of the event's room. */
function forTheLog(outcomes: readonly PlanStepOutcomeRecord[]): PlanStepOutcomeRecord[] {
  const share = Math.min(
    LOGGED_RESPONSE_MAX_BYTES,
    Math.floor(LOGGED_RESPONSES_MAX_BYTES / Math.max(1, outcomes.length)),
  );
  return outcomes.map((o) => ({ ...o, responseJson: cutUtf8(o.responseJson, share) }));
}

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes, never splitting a character. */
function cutUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char, 'utf8');
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end);
}

const STEP_STATUS: Record<PlanStepOutcomeRecord['status'], StepStatus> = {
  SUCCEEDED: StepStatus.STEP_SUCCEEDED,
  FAILED: StepStatus.STEP_FAILED,
  NOT_RUN: StepStatus.STEP_NOT_RUN,
};

function toProtoOutcome(o: PlanStepOutcomeRecord): StepOutcome {
  return { ...o, status: STEP_STATUS[o.status] };
}

function toProtoExecution(data: PlanExecuted, position: number): Execution {
  return {
    planId: data.planId,
    digest: data.digest,
    outcomes: data.outcomes.map(toProtoOutcome),
    succeeded: data.succeeded,
    position,
  };
}

export function toProtoPlan(record: PlanRecord): Plan {
  const { plan, lastExecution } = record;
  return {
    id: plan.planId,
    text: plan.text,
    interpreter: Interpreter[plan.interpreter],
    fallbackReason: plan.fallbackReason,
    steps: plan.steps.map((s, index) => ({ index, ...s, risk: ToolRisk[s.risk] })),
    questions: plan.questions,
    notes: plan.notes,
    digest: plan.digest,
    executable: plan.steps.length > 0 && plan.questions.length === 0,
    createdBy: plan.createdBy,
    createTime: toTimestamp(record.createTime),
    lastExecution: lastExecution && toProtoExecution(lastExecution.data, lastExecution.position),
    position: lastExecution?.position ?? record.position,
  };
}

/** The question a plan too large to record or to review asks instead of its steps, or undefined. */
function tooLargeQuestion(steps: readonly ResolvedStep[]): string | undefined {
  const bytes = steps.reduce((sum, step) => sum + Buffer.byteLength(JSON.stringify(step.request)), 0);
  if (steps.length <= MAX_PLAN_STEPS && bytes <= MAX_PLAN_REQUEST_BYTES) return undefined;
  return `This would be ${steps.length} calls (${Math.ceil(bytes / 1024)} KiB of requests); a plan holds at most ${MAX_PLAN_STEPS} calls and ${MAX_PLAN_REQUEST_BYTES / 1024} KiB. Which agents exactly? Narrow it down, e.g. by capability, label or state.`;
}
