import { isWord, joinText, type Token } from './command-tokens';
import { readLabel } from './agent-phrases';
import { capabilityLeadLength, LEADS_BEFORE_WITH } from './command-vocabulary';

export type ItemKind = 'tool' | 'kb' | 'capability' | 'role' | 'model' | 'label';

/** What a list like "the ledger and crm tools and the policies knowledge base" names, by kind. */
export interface ResourceItems {
  tools: string[];
  knowledgeBases: string[];
  capabilities: string[];
  roles: string[];
  labels: Record<string, string>;
  model?: string;
  /** Names with no kind given ("give X ledger": a tool or a knowledge base?). */
  untyped: string[];
}

const LEADING_FILLER = [
  'the',
  'a',
  'an',
  'its',
  'their',
  'his',
  'her',
  'access',
  'to',
  'of',
  'use',
  'using',
  'read',
  'call',
  'also',
  'new',
];
const SEPARATORS = ['and', ',', '&', 'plus', 'with', 'using', 'having', 'has', 'that', 'which', 'as', 'well'];

function kindOfWord(
  words: readonly string[],
  at: number,
): { kind: ItemKind; width: number; plural: boolean } | undefined {
  const w = words[at];
  if (w === 'tool' || w === 'tools') return { kind: 'tool', width: 1, plural: w === 'tools' };
  if (w === 'knowledge' && (words[at + 1] === 'base' || words[at + 1] === 'bases')) {
    return { kind: 'kb', width: 2, plural: words[at + 1] === 'bases' };
  }
  if (w === 'knowledgebase' || w === 'knowledgebases' || w === 'kb' || w === 'kbs' || w === 'knowledge') {
    return { kind: 'kb', width: 1, plural: w.endsWith('s') };
  }
  if (w === 'capability' || w === 'capabilities' || w === 'skill' || w === 'skills') {
    return { kind: 'capability', width: 1, plural: w.endsWith('s') };
  }
  if (w === 'role' || w === 'roles') return { kind: 'role', width: 1, plural: w === 'roles' };
  if (w === 'model') return { kind: 'model', width: 1, plural: false };
  return undefined;
}

/** "base" after "knowledge" at the end: the keyword starts one word earlier. */
function trailingKind(words: readonly string[]): { kind: ItemKind; width: number; plural: boolean } | undefined {
  const n = words.length;
  if (n >= 2 && words[n - 2] === 'knowledge' && (words[n - 1] === 'base' || words[n - 1] === 'bases'))
    return kindOfWord(words, n - 2);
  return n >= 1 ? kindOfWord(words, n - 1) : undefined;
}

/**
 * Reads a list of named things, each item typed by a keyword before it
 * ("tools ledger and crm") or after it ("the ledger and crm tools"), an
 * item with no keyword taking the kind of the keyword before it, or of a
 * plural keyword after it. Labels are "k=v"; "for X", "that handles X",
 * "who can handle X", "handling X", "that does X" are capabilities, and so is
 * every untyped item after them ("that handles invoices and refunds").
 */
export function readResourceItems(tokens: readonly Token[]): ResourceItems {
  const out: ResourceItems = { tools: [], knowledgeBases: [], capabilities: [], roles: [], labels: {}, untyped: [] };
  const items: { name: string; kind?: ItemKind; pluralKeyword?: boolean }[] = [];
  let prefixKind: ItemKind | undefined;
  let current: Token[] = [];
  const flush = () => {
    let item = current;
    current = [];
    while (item.length > 0 && item[0].kind === 'word' && LEADING_FILLER.includes(item[0].lower)) item = item.slice(1);
    if (item.length === 0) return;
    for (let i = 0; i < item.length; i++) {
      const label = readLabel(item, i);
      if (label) {
        out.labels[label.key] = label.value;
        item = [...item.slice(0, i), ...item.slice(label.next)];
        i -= 1;
      }
    }
    item = item.filter(
      (t) => !(t.kind === 'word' && ['labelled', 'labeled', 'tagged', 'label', 'labels'].includes(t.lower)),
    );
    if (item.length === 0) return;
    const words = item.map((t) => t.lower);
    const keyword = kindOfWord(words, 0);
    if (keyword && item.length > keyword.width) {
      prefixKind = keyword.kind;
      items.push({ name: joinText(item.slice(keyword.width)), kind: keyword.kind });
      return;
    }
    const trail = trailingKind(words);
    if (trail && item.length > trail.width) {
      items.push({
        name: joinText(item.slice(0, item.length - trail.width)),
        kind: trail.kind,
        pluralKeyword: trail.plural,
      });
      return;
    }
    if (keyword) {
      prefixKind = keyword.kind;
      return;
    }
    // "for the finance team" says whose agent it is: the team label the fleet is grouped by.
    const team = /^for (?:the )?([a-z0-9_.-]+) team$/.exec(words.join(' '));
    if (team) {
      out.labels.team = team[1];
      return;
    }
    const lead =
      words[0] === 'for' ? 1 : capabilityLeadLength(words) || (words[0] === 'can' && words.length > 1 ? 1 : 0);
    if (lead > 0) {
      prefixKind = 'capability';
      let from = lead;
      while (from < item.length && ['the', 'a', 'an', 'all'].includes(words[from])) from += 1;
      if (item.length > from) items.push({ name: joinText(item.slice(from)), kind: 'capability' });
      return;
    }
    items.push({ name: joinText(item), kind: prefixKind });
  };
  for (const t of tokens) {
    // "helps with", "deals with": the "with" belongs to the phrase that introduces capabilities.
    const joinsLead = isWord(t, 'with') && isWord(current[current.length - 1], ...LEADS_BEFORE_WITH);
    if (!joinsLead && (t.kind === 'word' || t.kind === 'punct') && SEPARATORS.includes(t.lower)) {
      flush();
      // "that handles refunds with ledger": "with" starts new attributes, so "ledger" is not one more capability.
      if (prefixKind === 'capability' && isWord(t, 'with', 'using', 'having', 'has')) prefixKind = undefined;
    } else current.push(t);
  }
  flush();
  // "the ledger and crm tools": an untyped item takes a plural keyword that follows it.
  for (let i = items.length - 1; i >= 0; i--) {
    if (items[i].kind !== undefined) continue;
    const next = items.slice(i + 1).find((it) => it.kind !== undefined);
    if (next?.pluralKeyword) items[i].kind = next.kind;
  }
  for (const item of items) {
    switch (item.kind) {
      case 'tool':
        out.tools.push(item.name);
        break;
      case 'kb':
        out.knowledgeBases.push(item.name);
        break;
      case 'capability':
        out.capabilities.push(item.name.toLowerCase());
        break;
      case 'role':
        out.roles.push(item.name);
        break;
      case 'model':
        out.model = item.name;
        break;
      case 'label':
      case undefined:
        if (item.kind === undefined && /^(gpt|o[134]|claude|llama|mistral|gemini|qwen)[\w.-]*$/i.test(item.name))
          out.model = item.name;
        else out.untyped.push(item.name);
        break;
    }
  }
  return out;
}
