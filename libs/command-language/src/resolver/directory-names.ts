import type { DirectoryAgent, DirectoryEntry } from '../directory';
import type { DraftQuestion } from '../draft';
import type { ResolutionQuestion } from '../resolution';
import { foldName } from '@aos/domain';
import { editDistance } from '../edit-distance';

/** "billing helper", "billing_helper" and "billing-helper" look alike to a person. */
function looseName(name: string): string {
  return foldName(name).replace(/[\s_-]+/g, '-');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

export function shortId(id: string): string {
  return `${id.slice(0, 8)}…`;
}

export function agentOption(agent: DirectoryAgent): string {
  return `${agent.name} (${shortId(agent.id)}, ${agent.state})`;
}

export type NameMatch<T> = { found: T } | { question: ResolutionQuestion };

/** Names at most two edits away (for names of five characters or more): what a typo of `name` could have meant. */
function closeNames<T extends { name: string }>(name: string, entries: readonly T[]): T[] {
  const folded = foldName(name.trim());
  if (folded.length < 5) return [];
  // A length difference over 2 is already more than 2 edits: only the rest pay for a distance.
  return entries.filter(
    (e) => Math.abs(e.name.length - folded.length) <= 2 && editDistance(folded, foldName(e.name)) <= 2,
  );
}

/**
 * One agent named by a person, never guessed:
 *   1. its id, or an id prefix of 8+ characters that only it has;
 *   2. its exact name (case-insensitive), then the name with spaces, "_" and "-" alike;
 *   3. a description: the one agent (not retired) whose capability is the word
 *      or whose name starts with it ("the billing agent" → billing-helper);
 * several matches, a near miss (a typo) or none at all is a question with options.
 */
export function matchAgent(name: string, agents: readonly DirectoryAgent[]): NameMatch<DirectoryAgent> {
  const folded = foldName(name.trim());
  const byId = agents.filter(
    (a) => a.id === folded || (folded.length >= 8 && /^[0-9a-f-]+$/.test(folded) && a.id.startsWith(folded)),
  );
  if (byId.length === 1) return { found: byId[0] };
  const exact = agents.filter((a) => foldName(a.name) === folded);
  if (exact.length === 1) return { found: exact[0] };
  const loose = agents.filter((a) => looseName(a.name) === looseName(name));
  if (loose.length === 1) return { found: loose[0] };
  if (loose.length > 1) return { question: several(name, loose, 'are called') };
  const word = looseName(name);
  const described = agents.filter(
    (a) =>
      a.state !== 'RETIRED' &&
      (a.capabilities.some((c) => looseName(c) === word) || looseName(a.name).split('-')[0] === word),
  );
  if (described.length === 1) return { found: described[0] };
  if (described.length > 1) return { question: several(name, described, 'match') };
  const close = closeNames(name, agents);
  if (close.length > 0) {
    return {
      question: {
        text: `No agent is called ${name}. Did you mean ${close.map((a) => a.name).join(' or ')}?`,
        options: close.map(agentOption),
        unknownName: { kind: 'agent', name },
      },
    };
  }
  return { question: { text: `No agent is called ${name}.`, options: [], unknownName: { kind: 'agent', name } } };
}

function several(name: string, agents: readonly DirectoryAgent[], verb: string): DraftQuestion {
  const count = agents.length === 2 ? 'Two' : String(agents.length);
  return { text: `${count} agents ${verb} ${name} — which?`, options: agents.map(agentOption) };
}

/** A tool, knowledge base or principal by name (case-insensitive, spaces/"_"/"-" alike) or id; else a question. */
export function matchEntry<T extends DirectoryEntry>(name: string, entries: readonly T[], what: string): NameMatch<T> {
  const folded = foldName(name.trim());
  const exact = entries.filter((e) => e.id === name || foldName(e.name) === folded);
  if (exact.length === 1) return { found: exact[0] };
  const loose = entries.filter((e) => looseName(e.name) === looseName(name));
  if (loose.length === 1) return { found: loose[0] };
  const close = closeNames(name, entries);
  const options = (close.length > 0 ? close : [...entries].sort((a, b) => a.name.localeCompare(b.name))).slice(0, 20);
  const hint = close.length > 0 ? ` Did you mean ${close.map((e) => e.name).join(' or ')}?` : '';
  return {
    question: {
      text: `No ${what} is called ${name}.${hint}`,
      options: options.map((e) => e.name),
      unknownName: { kind: what, name },
    },
  };
}

/** A role by name: "tenant admin" is tenant-admin, "operators" is operator. */
export function matchRole(name: string, roles: readonly string[]): NameMatch<string> {
  const wanted = looseName(name);
  const found = roles.find((r) => looseName(r) === wanted) ?? roles.find((r) => `${looseName(r)}s` === wanted);
  if (found) return { found };
  const options = roles.filter((r) => r.includes(wanted) || wanted.includes(r) || editDistance(wanted, r) <= 2);
  return {
    question: {
      text: `No role is called ${name}.${options.length > 0 ? ` Did you mean ${options.join(' or ')}?` : ''}`,
      options: options.length > 0 ? options : [...roles].sort(),
      unknownName: { kind: 'role', name },
    },
  };
}
