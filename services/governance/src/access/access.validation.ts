import type { CheckAccessRequest } from '@aos/contracts';
import type { RequestContext } from '@aos/messaging';
import {
  callerSubject,
  requireBody,
  validateAction,
  validatePosition,
  validateResource,
  validateSubject,
} from '../governance.request';

export interface CheckAccessQuery {
  subject: string;
  action: string;
  resource: string;
  minPosition: number;
}

export function validateCheckAccess(ctx: RequestContext, body: CheckAccessRequest | undefined): CheckAccessQuery {
  const request = requireBody(body);
  const subject = request.subject ? validateSubject('subject', request.subject) : callerSubject(ctx);
  return {
    subject,
    action: validateAction('action', request.action),
    resource: validateResource('resource', request.resource),
    minPosition: validatePosition('min_position', request.minPosition),
  };
}
