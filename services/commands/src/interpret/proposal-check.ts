import { DraftSchema, planMethod, type Draft, type Resolution, type ResolvedStep } from '@aos/command-language';
import type { z } from 'zod';

/**
 * The checks a model's proposal passes before its plan is used. Each gives
 * its problems as lines ("actions[0].action: unknown action 'x'"), none when it passes.
 * They trust nothing the model wrote: the draft is parsed and validated like
 * input from the network, its names must be the caller's tenant's, and its
 * steps must be ones the caller may run.
 */
export type DraftReading = { draft: Draft; problem?: undefined } | { draft?: undefined; problem: string };

/** The tool call's arguments (JSON text) as a draft, or why they are not one. */
export function readDraft(argumentsJson: string): DraftReading {
  let value: unknown;
  try {
    value = JSON.parse(argumentsJson);
  } catch (err) {
    return { problem: `the arguments are not JSON (${(err as Error).message})` };
  }
  const result = DraftSchema.safeParse(value);
  if (result.success) return { draft: result.data };
  const [first, ...rest] = result.error.issues;
  const more = rest.length > 0 ? ` (and ${rest.length} more ${rest.length === 1 ? 'problem' : 'problems'})` : '';
  return { problem: `${describeIssue(first!, value)}${more}` };
}

/**
 * The resolver's questions about names the caller's tenant does not have
 * ("No agent is called agt-77aa…"). The resolver is the one place names are
 * matched (by id or id prefix, in any case, loosely, by description) and it
 * marks these questions; a question the draft asked itself carries no mark.
 * Its other questions (two agents are called support, which limit) are the
 * person's to answer, not a fault of the proposal.
 */
export function unknownNames(resolution: Resolution): string[] {
  return resolution.questions.filter((q) => q.unknownName).map((q) => q.text);
}

/** One line per resolved step the caller may not run: "AssignRole (roles.assign)". */
export function forbiddenSteps(steps: readonly ResolvedStep[], isPermitted: (step: ResolvedStep) => boolean): string[] {
  return steps
    .filter((step) => !isPermitted(step))
    .map((step) => `${step.method} (${planMethod(step.service, step.method)?.permission ?? 'not a plan method'})`);
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = issue.path.length > 0 ? `${formatPath(issue.path)}: ` : '';
  switch (issue.code) {
    case 'invalid_union':
      if (issue.path.at(-1) === 'action') return `${where}unknown action ${quote(valueAt(input, issue.path))}`;
      return `${where}${issue.message}`;
    case 'unrecognized_keys':
      return `${where}unknown ${issue.keys.length === 1 ? 'field' : 'fields'} ${issue.keys.map(quote).join(', ')}`;
    case 'invalid_type':
      return `${where}expected ${issue.expected}, got ${typeName(valueAt(input, issue.path))}`;
    case 'invalid_value':
      return `${where}${quote(valueAt(input, issue.path))} is not one of ${issue.values.map(String).join(', ')}`;
    default:
      return `${where}${issue.message}`;
  }
}

/** `actions[0].agents.name`, as a person reads a JSON path. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  return value;
}

function typeName(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/** A value the model wrote, quoted for a one-line reason: bounded, on one line. */
export function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const line = text.replace(/\s+/g, ' ');
  return `'${line.length > 80 ? `${line.slice(0, 79)}…` : line}'`;
}
