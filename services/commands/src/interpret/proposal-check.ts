import { assertNever } from '@aos/errors';
import {
  DraftSchema,
  planMethod,
  type AgentSelector,
  type Directory,
  type Draft,
  type DraftAction,
  type ResolvedStep,
} from '@aos/command-language';
import type { z } from 'zod';

/**
 * The checks a model's proposal passes before its plan is used. Each returns
 * a problem as one line ("actions[0].action: unknown action 'x'"), or nothing.
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

/** The names in a draft that are neither a name nor an id in the caller's directory. */
export function unknownNames(draft: Draft, directory: Directory): string[] {
  const lookups = {
    agent: lookup(directory.agents()),
    tool: lookup(directory.tools()),
    'knowledge base': lookup(directory.knowledgeBases()),
    principal: lookup(directory.principals()),
    role: lookup(directory.roles().map((name) => ({ id: name, name }))),
  };
  const problems: string[] = [];
  draft.actions.forEach((action, index) => {
    for (const [field, kind, name] of references(action)) {
      if (!lookups[kind](name)) problems.push(`actions[${index}].${field}: no ${kind} ${quote(name)} in the tenant`);
    }
  });
  return problems;
}

/** One line per resolved step the caller may not run: "AssignRole (roles.assign)". */
export function forbiddenSteps(steps: readonly ResolvedStep[], isPermitted: (step: ResolvedStep) => boolean): string[] {
  return steps
    .filter((step) => !isPermitted(step))
    .map((step) => `${step.method} (${planMethod(step.service, step.method)?.permission ?? 'not a plan method'})`);
}

type ReferenceKind = 'agent' | 'tool' | 'knowledge base' | 'principal' | 'role';
type Reference = [field: string, kind: ReferenceKind, name: string];

/**
 * The fields of an action that name something that must already exist. New
 * names (create_agent.name, update_agent.rename) and what the directory does
 * not hold (tasks, approvals, capabilities, labels) are the resolver's to judge.
 */
function references(action: DraftAction): Reference[] {
  const agent = (field: string, name: string | undefined): Reference[] => (name ? [[field, 'agent', name]] : []);
  const each = (field: string, kind: ReferenceKind, list: readonly string[] | undefined): Reference[] =>
    (list ?? []).map((name, i) => [`${field}[${i}]`, kind, name]);
  const selected = (selector: AgentSelector | undefined) => agent('agents.name', selector?.name);
  switch (action.action) {
    case 'create_agent':
      return [
        ...each('tools', 'tool', action.tools),
        ...each('knowledgeBases', 'knowledge base', action.knowledgeBases),
      ];
    case 'update_agent':
    case 'show_agent':
    case 'agent_activity':
    case 'submit_task':
    case 'set_budget':
    case 'list_tasks':
    case 'show_spend':
      return agent('agent', action.agent);
    case 'deploy_agents':
    case 'pause_agents':
    case 'resume_agents':
    case 'retire_agents':
    case 'list_agents':
      return selected(action.agents);
    case 'grant_tools':
    case 'revoke_tools':
      return [...selected(action.agents), ...each('tools', 'tool', action.tools)];
    case 'grant_knowledge':
    case 'revoke_knowledge':
      return [...selected(action.agents), ...each('knowledgeBases', 'knowledge base', action.knowledgeBases)];
    case 'assign_role':
    case 'revoke_role':
      return [
        ['principal', 'principal', action.principal],
        ['role', 'role', action.role],
      ];
    case 'cancel_task':
    case 'decide_approval':
    case 'list_tools':
    case 'list_knowledge_bases':
    case 'list_approvals':
    case 'who_am_i':
      return [];
    default:
      return assertNever(action);
  }
}

/** Known when it is an entry's id, or its name in any letter case (the resolver settles which one, and asks when two match). */
function lookup(entries: readonly { id: string; name: string }[]): (name: string) => boolean {
  const ids = new Set(entries.map((e) => e.id));
  const names = new Set(entries.map((e) => e.name.trim().toLowerCase()));
  return (name) => ids.has(name) || names.has(name.trim().toLowerCase());
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
