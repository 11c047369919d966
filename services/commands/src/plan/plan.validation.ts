import type { ExecuteRequest, GetPlanRequest, InterpretRequest } from '@aos/contracts';
import { InvalidArgumentError } from '@aos/errors';
import {
  CONTROL_CHARS_EXCEPT_WHITESPACE,
  charLength,
  requireBody,
  validateId,
  validatePosition,
  validateRequestId,
} from '@aos/request-fields';

/**
 * CommandService's bodies as they arrive over NATS, checked field by field
 * (any NATS client may send them); every error names the proto field.
 */
export const TEXT_MAX = 2000;
const DIGEST = /^[0-9a-f]{64}$/;

export interface InterpretQuery {
  /** Trimmed. */
  text: string;
  /** Undefined: every call records a new plan. */
  requestId: string | undefined;
}

export interface GetPlanQuery {
  planId: string;
  minPosition: number;
}

export interface ExecuteQuery {
  planId: string;
  digest: string;
  confirmDestructive: boolean;
}

export { validateRequestContext as validateContext } from '@aos/messaging';

export function validateInterpret(body: Partial<InterpretRequest> | undefined): InterpretQuery {
  const request = requireBody(body);
  if (typeof request.text !== 'string') throw new InvalidArgumentError('text', 'is required: what you want done');
  const text = request.text.trim();
  if (text === '' || charLength(text) > TEXT_MAX) {
    throw new InvalidArgumentError('text', `must be 1-${TEXT_MAX} characters (not counting surrounding blanks)`);
  }
  if (CONTROL_CHARS_EXCEPT_WHITESPACE.test(text)) {
    throw new InvalidArgumentError('text', 'must not contain control characters');
  }
  const given = request.requestId;
  return { text, requestId: given === undefined || given === '' ? undefined : validateRequestId(given) };
}

export function validateGetPlan(body: Partial<GetPlanRequest> | undefined): GetPlanQuery {
  const request = requireBody(body);
  return { planId: validateId('id', request.id), minPosition: validatePosition('min_position', request.minPosition) };
}

export function validateExecute(body: Partial<ExecuteRequest> | undefined): ExecuteQuery {
  const request = requireBody(body);
  const planId = validateId('plan_id', request.planId);
  if (typeof request.digest !== 'string' || !DIGEST.test(request.digest.toLowerCase())) {
    throw new InvalidArgumentError('digest', 'must be the plan digest Interpret returned (64 hexadecimal digits)');
  }
  const confirm = request.confirmDestructive;
  if (confirm !== undefined && typeof confirm !== 'boolean') {
    throw new InvalidArgumentError('confirm_destructive', 'must be a boolean');
  }
  return { planId, digest: request.digest.toLowerCase(), confirmDestructive: confirm === true };
}
