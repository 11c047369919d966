import { AccessDecision, RuleEffect, type CheckAccessResponse } from '@aos/contracts';

/** Governance's verdict on a principal's call: run it, or refuse it and why. */
export type DirectVerdict = { kind: 'run'; reason: string } | { kind: 'refuse'; reason: string };

/**
 * How the answers of CheckAccess(<subject>, tools.call, tools/<id>), one per
 * grant subject of the caller, decide a direct call. Unlike an agent, a
 * principal has no grant of its own: only a role or rule granting tools.call
 * lets it call (tenant-admin's `*` does; no built-in role below it does). As
 * at the gateway, an explicit DENY of any subject wins, then a rule requiring
 * approval — which refuses, since there is no task to hold while a person
 * decides — then one subject allowed is enough.
 */
export function principalVerdict(
  answers: readonly Pick<CheckAccessResponse, 'decision' | 'explanation' | 'matchedRule'>[],
): DirectVerdict {
  const deny = answers.find((a) => a.decision === AccessDecision.DENIED && a.matchedRule?.effect === RuleEffect.DENY);
  if (deny) return { kind: 'refuse', reason: deny.explanation };
  const approval = answers.find((a) => a.decision === AccessDecision.APPROVAL_REQUIRED);
  if (approval) {
    return {
      kind: 'refuse',
      reason: `${approval.explanation}; a direct call outside a task cannot wait for a person's approval: submit a task to an agent granted the tool instead`,
    };
  }
  const allowed = answers.find((a) => a.decision === AccessDecision.ALLOWED);
  if (allowed) return { kind: 'run', reason: allowed.explanation };
  const exhausted = answers.find((a) => a.decision === AccessDecision.BUDGET_EXHAUSTED);
  if (exhausted) return { kind: 'refuse', reason: exhausted.explanation };
  return { kind: 'refuse', reason: answers[0]?.explanation ?? 'the caller has no grant subjects' };
}
