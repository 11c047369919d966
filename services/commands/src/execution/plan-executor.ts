import { toProtoPrincipal } from '@aos/access-control';
import type { WhoAmIResponse } from '@aos/contracts';
import type { PlanStepOutcomeRecord, PlanStepRecord } from '@aos/domain';
import { AosError, unavailableFor } from '@aos/errors';
import type { RequestContext, ServiceClient } from '@aos/messaging';
import { REQUEST_ID_MAX } from '@aos/request-fields';
import { subjectOf, type PlanAccess } from '../plan/plan.access';
import { replyJson, takesRequestId, wireRequest } from './proto-json';
import { stepRoute } from './step-routes';
import { stepSummary } from './step-summary';

/** How long the next step waits for a role an earlier step granted to reach the access model. */
const ACCESS_WAIT_MS = 5_000;

/** The plan as the executor needs it. */
export interface ExecutablePlan {
  planId: string;
  digest: string;
  steps: readonly PlanStepRecord[];
}

/**
 * The request_id of step `index` of a plan: the same for every Execute of
 * the plan, so its owner answers a second Execute by replaying the first
 * (nothing runs twice); the plan's id is in it so that two plans of the same
 * actions (pause X today, pause X again next week) are two requests, and the
 * digest so the audit shows which actions it was part of.
 */
export function stepRequestId(plan: Pick<ExecutablePlan, 'planId' | 'digest'>, index: number): string {
  const id = `plan:${plan.planId}:${plan.digest.slice(0, 32)}:${index}`;
  if (id.length > REQUEST_ID_MAX) throw new Error(`a step's request_id would be over ${REQUEST_ID_MAX} characters`);
  return id;
}

/**
 * Runs a confirmed plan's steps in order as the caller: each authorized
 * again at the moment it runs, its inputs filled from earlier replies, sent
 * on its owner's subject with the caller's context (the same tenant, actor
 * and grant subjects the gateway would have sent; the plan's id as
 * correlation, so every event a step causes names the plan). It stops at the
 * first failure; the steps after it are not run.
 */
export class PlanExecutor {
  constructor(
    private readonly access: PlanAccess,
    private readonly services: Pick<ServiceClient, 'request'>,
  ) {}

  async run(ctx: RequestContext, plan: ExecutablePlan): Promise<PlanStepOutcomeRecord[]> {
    const stepCtx: RequestContext = { ...ctx, correlationId: plan.planId };
    const replies: unknown[] = [];
    const outcomes: PlanStepOutcomeRecord[] = [];
    let failed = false;
    for (const [index, step] of plan.steps.entries()) {
      if (failed) {
        outcomes.push(outcome(index, 'NOT_RUN', { summary: `Not run (an earlier step failed): ${step.preview}` }));
        continue;
      }
      try {
        const reply = await this.runStep(stepCtx, plan, index, step, replies);
        replies.push(reply);
        outcomes.push(
          outcome(index, 'SUCCEEDED', {
            responseJson: replyJson(step.service, step.method, reply),
            summary: stepSummary(step.method, reply),
          }),
        );
      } catch (err) {
        failed = true;
        const error = asAosError(err);
        outcomes.push(
          outcome(index, 'FAILED', {
            code: error.code,
            message: error.message,
            summary: `Failed: ${step.preview}: ${error.code}`,
          }),
        );
      }
    }
    return outcomes;
  }

  private async runStep(
    ctx: RequestContext,
    plan: ExecutablePlan,
    index: number,
    step: PlanStepRecord,
    replies: readonly unknown[],
  ): Promise<unknown> {
    const route = stepRoute(step.service, step.method);
    if (!route) throw new AosError('INTERNAL', `${step.service}.${step.method} has no owner to send it to`);
    const request = JSON.parse(step.requestJson) as Record<string, unknown>;
    for (const input of step.inputs) {
      const from = replies[input.fromStep] as Record<string, unknown> | undefined;
      if (from?.[input.fromField] === undefined) {
        throw new AosError('INTERNAL', `step ${index}: step ${input.fromStep}'s reply has no ${input.fromField}`);
      }
      request[input.field] = from[input.fromField];
    }
    if (takesRequestId(step.service, step.method)) request.requestId = stepRequestId(plan, index);
    const decision = this.access.authorize(ctx, step.service, step.permission, request);
    if (!decision.allowed) {
      throw new AosError(
        'PERMISSION_DENIED',
        `${subjectOf(ctx)} lacks permission ${step.permission} on ${decision.refused ?? '*'}, required by ${step.service}.${step.method}`,
      );
    }
    const body = wireRequest(step.service, step.method, request);
    const reply = 'local' in route ? this.whoAmI(ctx) : await this.services.request(route.subject, ctx, body);
    // A role an earlier step granted holds for the steps after it, as it would for the caller's next call.
    const logPosition = (reply as { logPosition?: unknown } | null)?.logPosition;
    if (step.service === 'GovernanceService' && typeof logPosition === 'number') {
      await this.access.waitFor(logPosition, ACCESS_WAIT_MS);
    }
    return reply;
  }

  /** What the gateway answers from the caller's identity; how the caller authenticated is the gateway's to know. */
  private whoAmI(ctx: RequestContext): WhoAmIResponse {
    const subject = subjectOf(ctx);
    const view =
      ctx.actor.kind === 'user' || ctx.actor.kind === 'service'
        ? this.access.model.principal(ctx.tenantId, ctx.actor.id)
        : undefined;
    return {
      tenantId: ctx.tenantId,
      subject,
      principal: view && toProtoPrincipal(view),
      roles: this.access.model.rolesOf(ctx.tenantId, subject),
      authentication: '',
    };
  }
}

function outcome(
  index: number,
  status: PlanStepOutcomeRecord['status'],
  fields: Partial<Omit<PlanStepOutcomeRecord, 'index' | 'status'>>,
): PlanStepOutcomeRecord {
  return { index, status, code: '', message: '', responseJson: '', summary: '', ...fields };
}

function asAosError(err: unknown): AosError {
  if (err instanceof AosError) return err;
  return unavailableFor(err) ?? new AosError('INTERNAL', err instanceof Error ? err.message : String(err));
}
