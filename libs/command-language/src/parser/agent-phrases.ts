import type { AgentSelector } from '../draft';
import { isWord, joinText, splitList, type Token } from './command-tokens';
import { capabilityLeadLength, PLURAL_PRONOUNS, SINGULAR_PRONOUNS, STATE_WORDS } from './command-vocabulary';

/** One agent reference of a sentence: a selector, or a pronoun to settle from what came before. */
export type AgentRef =
  { kind: 'selector'; selector: AgentSelector } | { kind: 'pronoun'; word: string; plural: boolean };

const ARTICLES = ['the', 'a', 'an', 'our', 'my', 'your'];
const QUANTIFIERS = ['all', 'every', 'each', 'any'];
const AGENT_NOUNS = ['agent', 'agents', 'ones', 'one', 'bots'];
const FLEET_WORDS = ['everything', 'everyone', 'everybody', 'fleet', 'all', 'whole', 'entire'];
const TRAILING_NOISE = [
  'now',
  'immediately',
  'asap',
  'again',
  'too',
  'also',
  'please',
  'today',
  'right',
  'away',
  'for',
  'a',
  'while',
];

/** "team=sales", "team = sales", "team:sales" read from tokens[i…]; undefined when none starts there. */
export function readLabel(
  tokens: readonly Token[],
  i: number,
): { key: string; value: string; next: number } | undefined {
  const t = tokens[i];
  if (!t || t.kind === 'punct') return undefined;
  const joined = /^([a-z0-9_.-]+)=(.+)$/i.exec(t.text);
  if (joined) return { key: joined[1].toLowerCase(), value: joined[2], next: i + 1 };
  if (/^[a-z0-9_.-]+=$/i.test(t.text) && tokens[i + 1] && tokens[i + 1].kind !== 'punct') {
    return { key: t.text.slice(0, -1).toLowerCase(), value: tokens[i + 1].text, next: i + 2 };
  }
  const next = tokens[i + 1];
  if (
    (next?.text === '=' || (next?.text === ':' && tokens[i + 2])) &&
    tokens[i + 2] &&
    /^[a-z0-9_.-]+$/i.test(t.text)
  ) {
    return { key: t.text.toLowerCase(), value: tokens[i + 2].text, next: i + 3 };
  }
  return undefined;
}

function stripTrailingNoise(tokens: Token[]): Token[] {
  let end = tokens.length;
  while (end > 1 && tokens[end - 1].kind === 'word' && TRAILING_NOISE.includes(tokens[end - 1].lower)) end -= 1;
  return tokens.slice(0, end);
}

/**
 * One item of an agent list: "billing-helper", "it", "the billing agent"
 * (name "billing": the resolver matches it as a name, then as a capability),
 * "every support agent" (capability), "all paused agents" (state), "agents
 * labelled team=sales" (label), "all agents" / "everything" (all).
 */
export function readAgentItem(raw: readonly Token[]): AgentRef | undefined {
  const tokens = stripTrailingNoise([...raw]);
  if (tokens.length === 0) return undefined;
  if (tokens.length === 1 && tokens[0].kind === 'quoted')
    return { kind: 'selector', selector: { name: tokens[0].text } };
  const words = tokens.map((t) => t.lower);
  const phrase = words.join(' ');
  if (/^(all|each|both) of (them|those|these)$/.test(phrase) || /^(these|those|the) (agents|ones)$/.test(phrase)) {
    return { kind: 'pronoun', word: 'them', plural: true };
  }
  if (
    /^(this|that) (one|agent)$/.test(phrase) ||
    phrase === 'the same agent' ||
    phrase === 'the new agent' ||
    phrase === 'the new one'
  ) {
    return { kind: 'pronoun', word: 'it', plural: false };
  }
  if (tokens.length === 1 && SINGULAR_PRONOUNS.includes(words[0]))
    return { kind: 'pronoun', word: words[0], plural: false };
  if (tokens.length === 1 && PLURAL_PRONOUNS.includes(words[0]))
    return { kind: 'pronoun', word: words[0], plural: true };

  const selector: AgentSelector = {};
  let quantified = false;
  let plural = false;
  let nounSeen = false;
  const rest: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const w = t.lower;
    const label = readLabel(tokens, i);
    if (label) {
      selector.label = { key: label.key, value: label.value };
      i = label.next - 1;
      continue;
    }
    if (t.kind === 'quoted') {
      rest.push(t);
      continue;
    }
    if (QUANTIFIERS.includes(w) || (w === 'of' && quantified)) {
      quantified = true;
      continue;
    }
    if (rest.length === 0 && ARTICLES.includes(w)) continue;
    if (Object.hasOwn(STATE_WORDS, w) && !nounSeen) {
      selector.state = STATE_WORDS[w];
      continue;
    }
    if (AGENT_NOUNS.includes(w)) {
      nounSeen = true;
      plural ||= w !== 'agent' && w !== 'one';
      continue;
    }
    if (
      [
        'labelled',
        'labeled',
        'tagged',
        'with',
        'label',
        'in',
        'on',
        'that',
        'which',
        'called',
        'named',
        'state',
      ].includes(w)
    ) {
      const after = tokens.slice(i + 1);
      // "agents in team sales" / "on the sales team"
      const team = /^(?:the )?(?:team )?([a-z0-9_.-]+)(?: team)?$/.exec(after.map((a) => a.lower).join(' '));
      if ((w === 'in' || w === 'on') && team && after.some((a) => a.lower === 'team')) {
        selector.label = { key: 'team', value: team[1] };
        break;
      }
      if (w === 'called' || w === 'named') {
        if (after.length > 0) selector.name = joinText(after);
        break;
      }
      if (w === 'with' || w === 'that' || w === 'which') {
        const capability = readCapabilityPhrase(after);
        if (capability) {
          selector.capability = capability;
          break;
        }
      }
      if (['labelled', 'labeled', 'tagged', 'label', 'with'].includes(w)) continue;
      if (w === 'in' && after.length === 1 && Object.hasOwn(STATE_WORDS, after[0].lower)) {
        selector.state = STATE_WORDS[after[0].lower];
        break;
      }
    }
    rest.push(t);
  }
  if (rest.length > 0 && rest.every((t) => FLEET_WORDS.includes(t.lower) || t.lower === 'the')) {
    rest.length = 0;
    quantified = true;
  }
  if (selector.name !== undefined) return { kind: 'selector', selector };
  const described = rest.length > 0 ? joinText(rest) : undefined;
  if (described !== undefined) {
    if (quantified || plural) selector.capability = described.toLowerCase();
    else selector.name = described;
  } else if (!selector.state && !selector.label && !selector.capability) {
    if (!quantified && !plural && !nounSeen) return undefined;
    if (!quantified && !plural) return undefined;
    selector.all = true;
  }
  return { kind: 'selector', selector };
}

/** "with the support capability", "with capability support", "that can do billing", "that handle refunds". */
function readCapabilityPhrase(tokens: readonly Token[]): string | undefined {
  const words = tokens.map((t) => t.lower).filter((w) => !['the', 'a', 'an'].includes(w));
  const m = /^(?:capability|skill) (.+)$/.exec(words.join(' ')) ?? /^(.+) (?:capability|skill)$/.exec(words.join(' '));
  if (m) return m[1];
  // "that" / "which" came before these words: "can do billing", "handle refunds", "deal with invoices".
  const lead = capabilityLeadLength(words) || (['can', 'could'].includes(words[0]) ? 1 : 0);
  return lead > 0 && words.length > lead ? words.slice(lead).join(' ') : undefined;
}

/** A list of agent references: "A and B", "A, B and C", "every support agent". */
export function readAgentList(tokens: readonly Token[]): { refs: AgentRef[]; unread: string[] } {
  const refs: AgentRef[] = [];
  const unread: string[] = [];
  // "all paused and draft agents" is one selector per state, but a label or capability phrase keeps its "and".
  for (const item of splitList(tokens, ['and', ',', '&', 'plus'])) {
    const ref = readAgentItem(item);
    if (ref) refs.push(ref);
    else unread.push(joinText(item));
  }
  return { refs, unread };
}

/** True when the tokens start like an agent phrase that runs up to the word "agent(s)" ("the billing agent", "every support agent"). */
export function agentPhraseEnd(tokens: readonly Token[]): number {
  if (!isWord(tokens[0], 'the', 'every', 'all', 'each', 'any')) return -1;
  for (let i = 1; i < tokens.length && i < 6; i++) if (isWord(tokens[i], 'agent', 'agents')) return i + 1;
  return -1;
}
