import { DraftActionSchema, type AgentSelector, type Draft, type DraftAction } from '../draft';
import { readAgentItem, readAgentList, agentPhraseEnd, readLabel, type AgentRef } from './agent-phrases';
import { readQuantities, spendPeriod } from './budget-quantities';
import { indexOfWord, isWord, joinText, tokenize, type Token } from './command-tokens';
import { readVerb, SELF_WORDS, VERBS, STATE_WORDS, TASK_STATE_WORDS } from './command-vocabulary';
import { readResourceItems, type ResourceItems } from './resource-items';

/**
 * The deterministic parser: plain English of the documented grammar
 * (docs/commands.md) to a draft. No model, no randomness: the same text
 * always gives the same draft. What it does not understand becomes a note or
 * a question, never a guess.
 */
export function parseCommand(text: string): Draft {
  const parser = new SentenceParser(text);
  parser.run();
  // What the draft's schema bounds (lengths, counts) is clipped here, so no text makes an invalid draft.
  const notes = parser.notes.map((n) => clip(n, 500));
  const actions = parser.actions.filter((a) => {
    if (DraftActionSchema.safeParse(a).success) return true;
    notes.push(clip(`ignored: a ${a.action} whose names or text are too long`, 500));
    return false;
  });
  return {
    actions: actions.slice(0, 50),
    questions: parser.questions.slice(0, 20).map((q) => ({ text: clip(q.text, 500), options: q.options.slice(0, 20) })),
    notes: notes.slice(0, 20),
  };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const CONNECTORS = [
  'and',
  'then',
  'also',
  'afterwards',
  'next',
  'finally',
  'lastly',
  'first',
  'so',
  'now',
  'ok',
  'okay',
  'after',
];
const POLITE = [
  'please',
  'pls',
  'plz',
  'kindly',
  'hey',
  'hi',
  'hello',
  'just',
  'thanks',
  'thank',
  'thx',
  'cheers',
  'ty',
  'that',
  'go',
  'ahead',
];
const SENTENCE_END = ['.', ';', '!', '?'];
const NO_AGENT = [
  'someone',
  'somebody',
  'anyone',
  'anybody',
  'whoever',
  'an agent',
  'any agent',
  'some agent',
  'the fleet',
  'the right agent',
  'whichever agent',
];
const UUIDISH = /^[0-9a-f]{8}(?:-?[0-9a-f]{4}){3}-?[0-9a-f]{12}$/i;

type Handler = (clause: Token[], verb: string) => void;

class SentenceParser {
  readonly actions: DraftAction[] = [];
  readonly questions: Draft['questions'] = [];
  readonly notes: string[] = [];
  private readonly tokens: Token[];
  /** The agents the last action was about: what "it" and "them" refer to. */
  private antecedents: AgentSelector[] = [];

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  run(): void {
    let i = 0;
    while (i < this.tokens.length) {
      i = this.skipFiller(i);
      if (i >= this.tokens.length) break;
      if (isWord(this.tokens[i], 'system', 'assistant', 'developer', 'user') && this.tokens[i + 1]?.lower === ':') {
        this.notes.push(`ignored: "${this.tokens[i].text}:" (a role marker is not a command)`);
        i += 2;
        continue;
      }
      const injection = this.injectionEnd(i);
      if (injection > i) {
        this.notes.push(`ignored: "${this.slice(i, injection)}" (not a command of the grammar)`);
        i = injection;
        continue;
      }
      if (this.readTask(i)) return;
      const end = this.clauseEnd(i);
      this.parseClause(this.tokens.slice(i, end));
      i = end;
    }
    if (this.actions.length === 0 && this.questions.length === 0 && this.notes.length === 0) {
      this.notes.push('ignored: empty command');
    }
  }

  private slice(from: number, to: number): string {
    const last = this.tokens[Math.min(to, this.tokens.length) - 1];
    return this.text.slice(this.tokens[from].start, last.end).trim();
  }

  /** Past separators, connectors and politeness ("please", "could you", "thanks") at a clause start. */
  private skipFiller(i: number): number {
    const t = this.tokens;
    for (;;) {
      const w = t[i]?.lower;
      if (w === undefined) return i;
      if (t[i].kind === 'punct' && t[i].lower !== '(') {
        i += 1;
      } else if (t[i].kind === 'word' && (CONNECTORS.includes(w) || POLITE.includes(w))) {
        i += 1;
      } else if (['could', 'can', 'would', 'will'].includes(w) && isWord(t[i + 1], 'you')) {
        i += 2;
      } else if (/^(i|i'd|we|we'd)$/.test(w) && isWord(t[i + 1], 'want', 'need', 'like', 'would')) {
        // "I want you to", "I'd like you to", "I would like you to", "we need you to"
        let j = i + 1;
        while (j < t.length && isWord(t[j], 'want', 'need', 'like', 'would', 'you', 'to')) j += 1;
        if (j === i + 1) return i;
        i = j;
      } else if (w === 'you' && isWord(t[i + 1], 'should', 'must')) {
        i += 2;
      } else {
        return i;
      }
    }
  }

  /** "ignore (all) (the) previous instructions" and its variants: the end of the phrase, or i when there is none. */
  private injectionEnd(i: number): number {
    if (!isWord(this.tokens[i], 'ignore', 'disregard', 'forget', 'override', 'bypass')) return i;
    for (let j = i + 1; j < this.tokens.length && j <= i + 6; j++) {
      if (
        isWord(
          this.tokens[j],
          'instructions',
          'instruction',
          'rules',
          'prompt',
          'prompts',
          'guidelines',
          'policies',
          'restrictions',
        )
      ) {
        return j + 1;
      }
    }
    return i;
  }

  /** Where a clause that starts at i ends: a sentence end, or a separator followed by a verb. */
  private clauseEnd(i: number): number {
    const t = this.tokens;
    for (let j = i + 1; j < t.length; j++) {
      if (t[j].kind === 'punct' && SENTENCE_END.includes(t[j].lower)) return j;
      const separator =
        (t[j].kind === 'punct' && t[j].lower === ',') || isWord(t[j], 'and', 'then', 'also', 'afterwards');
      if (!separator) continue;
      const k = this.skipFiller(j + 1);
      if (k >= t.length) return j;
      const next = t[k];
      const verb = next.kind === 'word' ? readVerb(next.lower) : undefined;
      if (verb !== undefined || this.injectionEnd(k) > k || next.lower === "don't") {
        // "pause it and show me": "show" starts a clause; "which"/"is"/"are" only after a comma or "and".
        return j;
      }
    }
    return t.length;
  }

  // ---- tasks: the text is verbatim and never read for further commands ----

  private readTask(i: number): boolean {
    const t = this.tokens;
    const w = t[i].lower;
    // "submit a task: …", "new task: …", "task: …", "submit a task to billing-helper: …", "submit "…""
    let j = i;
    if (
      ['submit', 'queue', 'create', 'add', 'new', 'file', 'post', 'send', 'start', 'run', 'open'].includes(w) ||
      verbClass(w) === 'submit'
    ) {
      j = i + 1;
      while (isWord(t[j], 'a', 'an', 'the', 'this', 'new', 'following', 'another')) j += 1;
    }
    const submitVerb = j > i || w === 'task';
    if (
      submitVerb &&
      (isWord(t[j], 'task') || (j > i && verbClass(w) === 'submit' && (t[j]?.kind === 'quoted' || t[j]?.lower === ':')))
    ) {
      if (isWord(t[j], 'task')) j += 1;
      const colon = t.findIndex((tok, k) => k >= j && tok.lower === ':');
      let agent: string | undefined | null;
      let from = j;
      if (colon >= 0 && colon <= j + 5 && isWord(t[j], 'to', 'for')) {
        agent = this.taskAgent(t.slice(j + 1, colon));
        if (agent === null) return true;
        from = colon + 1;
      } else if (t[j]?.lower === ':') {
        from = j + 1;
      } else if (isWord(t[j], 'to', 'that', 'saying', 'asking')) {
        from = j + 1;
      }
      if (from >= t.length) {
        this.pushTask('', agent ?? undefined);
        return true;
      }
      const only = t[from];
      const taskText = from === t.length - 1 && only.kind === 'quoted' ? only.text : this.text.slice(only.start).trim();
      this.pushTask(taskText, agent ?? undefined);
      return true;
    }
    // "ask|tell|have|get|instruct AGENT to …"
    if (['ask', 'tell', 'have', 'get', 'instruct', 'request'].includes(w) || verbClass(w) === 'ask') {
      if (isWord(t[i + 1], 'me', 'us')) return false;
      const to = t.findIndex((tok, k) => k > i && k <= i + 7 && (isWord(tok, 'to') || tok.lower === ':'));
      let agentEnd = to;
      let textFrom = to + 1;
      if (to < 0) {
        if (w !== 'have') return false;
        // "have billing-helper refund order 42": the agent is one word or "the … agent".
        const phraseEnd = agentPhraseEnd(t.slice(i + 1));
        agentEnd = phraseEnd > 0 ? i + 1 + phraseEnd : i + 2;
        textFrom = agentEnd;
      }
      if (agentEnd <= i + 1 || textFrom >= t.length) return false;
      const agent = this.taskAgent(t.slice(i + 1, agentEnd));
      if (agent === null) return true;
      this.pushTask(this.text.slice(t[textFrom].start).trim(), agent);
      return true;
    }
    return false;
  }

  /** The agent a task goes to: a name, undefined for "someone", null when a question was raised. */
  private taskAgent(tokens: Token[]): string | undefined | null {
    const phrase = tokens.map((t) => t.lower).join(' ');
    if (NO_AGENT.includes(phrase)) return undefined;
    return this.singleAgent(tokens, 'Which agent should get the task?');
  }

  private pushTask(taskText: string, agent: string | undefined): void {
    if (taskText.length === 0) {
      this.questions.push({ text: 'What should the task say?', options: [] });
      return;
    }
    this.actions.push({ action: 'submit_task', text: taskText.slice(0, 20000), ...(agent ? { agent } : {}) });
    if (agent) this.antecedents = [{ name: agent }];
  }

  // ---- clauses ----

  private parseClause(clause: Token[]): void {
    if (clause.length === 0) return;
    const first = clause[0];
    if (isWord(first, "don't", 'dont', 'never') || (isWord(first, 'do') && isWord(clause[1], 'not'))) {
      this.notes.push(`ignored: "${joinText(clause)}" (a negative is not a command)`);
      return;
    }
    const reading = first.kind === 'word' ? readVerb(first.lower) : undefined;
    if (!reading) {
      // "purge all agents", "wipe the support agents": an unknown verb before an agent phrase is an action
      // the grammar does not have, not a question about agents with the capability "purge".
      const unknownVerb =
        first.kind === 'word' &&
        !Object.hasOwn(STATE_WORDS, first.lower) &&
        isWord(clause[1], 'all', 'every', 'each', 'the', 'my', 'our', 'these', 'those');
      if (unknownVerb) this.notes.push(`ignored: "${joinText(clause)}" ("${first.text}" is not a verb of the grammar)`);
      else if (!this.readQuestion(clause)) this.ignore(clause);
      return;
    }
    if (reading.correctedFrom) this.notes.push(`read "${first.text}" as "${reading.verb}"`);
    const read: Handler = (c) => {
      if (!this.readQuestion(c)) this.ignore(c);
    };
    const handlers: Record<string, Handler> = {
      create: (c) => this.create(c),
      make: (c) => this.make(c),
      add: (c) => this.add(c),
      update: (c) => this.update(c),
      rename: (c) => this.rename(c),
      label: (c) => this.label(c),
      set: (c) => this.set(c),
      deploy: (c) => this.transition(c, 'deploy_agents', 'Deploy'),
      pause: (c) => this.pause(c),
      resume: (c) => this.transition(c, 'resume_agents', 'Resume'),
      retire: (c) => this.transition(c, 'retire_agents', 'Retire'),
      remove: (c) => this.remove(c),
      give: (c) => this.give(c),
      let: (c) => this.give(c),
      revoke: (c) => this.revoke(c),
      take: (c) => this.revoke(c),
      ask: read,
      submit: (c) => this.ignore(c),
      cancel: (c) => this.cancel(c),
      rollback: (c) => this.rollback(c),
      limit: (c) => this.budget(c),
      assign: (c) => this.assign(c),
      approve: (c) => this.decide(c, true),
      reject: (c) => this.decide(c, false),
      read,
    };
    handlers[VERBS[reading.verb]](clause, reading.verb);
  }

  private ignore(clause: Token[]): void {
    this.notes.push(`ignored: "${joinText(clause)}" (not a command of the grammar)`);
  }

  /** The agent references after the verb, pronouns settled, as selectors; raises a question for an unsettled pronoun. */
  private agents(tokens: Token[], verbText: string): AgentSelector[] | undefined {
    const { refs, unread } = readAgentList(tokens);
    for (const u of unread) this.notes.push(`ignored: "${u}"`);
    if (refs.length === 0) {
      this.questions.push({ text: `${capitalise(verbText)} which agent?`, options: [] });
      return undefined;
    }
    const selectors: AgentSelector[] = [];
    for (const ref of refs) {
      const settled = this.settle(ref);
      if (!settled) return undefined;
      selectors.push(...settled);
    }
    this.antecedents = selectors;
    return selectors;
  }

  private settle(ref: AgentRef): AgentSelector[] | undefined {
    if (ref.kind === 'selector') return [ref.selector];
    if (this.antecedents.length === 0) {
      this.questions.push({ text: `Which agent does "${ref.word}" refer to?`, options: [] });
      return undefined;
    }
    if (!ref.plural && this.antecedents.length > 1) {
      this.questions.push({
        text: `Which agent does "${ref.word}" refer to?`,
        options: this.antecedents.map(describeSelector),
      });
      return undefined;
    }
    return this.antecedents;
  }

  /** Exactly one agent by name (pronouns settled), or null after raising a question. */
  private singleAgent(tokens: Token[], question: string): string | null {
    const ref = readAgentItem(tokens);
    if (!ref) {
      this.questions.push({ text: question, options: [] });
      return null;
    }
    const settled = this.settle(ref);
    if (!settled) return null;
    if (settled.length !== 1 || settled[0].name === undefined || Object.keys(settled[0]).length !== 1) {
      this.questions.push({ text: `${question} (one agent, by name)`, options: settled.map(describeSelector) });
      return null;
    }
    this.antecedents = settled;
    return settled[0].name;
  }

  // ---- agents ----

  private create(clause: Token[]): void {
    let i = 1;
    if (isWord(clause[i], 'up')) i += 1;
    while (isWord(clause[i], 'a', 'an', 'new', 'another', 'the')) i += 1;
    const nounAt = clause.findIndex((t, k) => k >= i && k <= i + 4 && isWord(t, 'agent', 'bot', 'assistant'));
    const other = clause.findIndex(
      (t, k) =>
        k >= i &&
        k <= i + 3 &&
        isWord(t, 'tool', 'tools', 'knowledge', 'kb', 'user', 'principal', 'key', 'role', 'policy', 'tenant', 'team'),
    );
    if (other >= 0 && (nounAt < 0 || other < nounAt)) {
      this.notes.push(`refused: "${joinText(clause)}" (the grammar creates agents only)`);
      return;
    }
    const descriptor = nounAt >= 0 ? clause.slice(i, nounAt).filter((t) => t.kind !== 'punct') : [];
    let j = nounAt >= 0 ? nounAt + 1 : i;
    while (
      isWord(clause[j], 'called', 'named', 'name', 'with') &&
      !(clause[j].lower === 'with' && !isWord(clause[j + 1], 'name'))
    )
      j += 1;
    if (isWord(clause[j], 'called', 'named')) j += 1;
    const nameToken = clause[j];
    const ATTRIBUTE_START = [
      'with',
      'using',
      'that',
      'which',
      'for',
      'labelled',
      'labeled',
      'tagged',
      'and',
      'having',
      'on',
      'to',
    ];
    // No name, or a word that is not one ("create an agent with …", "create it").
    if (
      !nameToken ||
      nameToken.kind === 'punct' ||
      (nameToken.kind === 'word' && [...ATTRIBUTE_START, ...SELF_WORDS, 'it', 'them'].includes(nameToken.lower))
    ) {
      this.questions.push({ text: 'What should the new agent be called?', options: [] });
      return;
    }
    const name = nameToken.text;
    const action: Extract<DraftAction, { action: 'create_agent' }> = { action: 'create_agent', name };
    const capabilities = descriptor.length > 0 ? [joinText(descriptor).toLowerCase()] : [];
    const rest = clause.slice(j + 1);
    const items = this.attributes(rest, action);
    if (!items) return;
    capabilities.push(...items.capabilities);
    if (capabilities.length > 0) action.capabilities = dedupe(capabilities);
    if (items.tools.length > 0) action.tools = dedupe(items.tools);
    if (items.knowledgeBases.length > 0) action.knowledgeBases = dedupe(items.knowledgeBases);
    if (Object.keys(items.labels).length > 0) action.labels = items.labels;
    if (items.model) action.model = items.model;
    this.actions.push(action);
    this.antecedents = [{ name }];
  }

  /**
   * The attributes after an agent's name: description and instructions (quoted,
   * or the rest of the clause verbatim), then typed items. Null after a question.
   */
  private attributes(rest: Token[], target: { description?: string; instructions?: string }): ResourceItems | null {
    let tokens = rest;
    for (const [field, words] of [
      ['instructions', ['instructions', 'instructed', 'instruction']],
      ['description', ['description', 'described', 'describe']],
    ] as const) {
      const at = indexOfWord(tokens, words);
      if (at < 0) continue;
      let from = at + 1;
      while (isWord(tokens[from], 'as', 'to', 'of', 'is', 'are') || tokens[from]?.lower === ':') from += 1;
      if (from >= tokens.length) continue;
      const value =
        tokens[from].kind === 'quoted'
          ? tokens[from].text
          : this.text.slice(tokens[from].start, tokens[tokens.length - 1].end).trim();
      target[field] = value;
      const until = tokens[from].kind === 'quoted' ? from + 1 : tokens.length;
      let begin = at;
      while (begin > 0 && isWord(tokens[begin - 1], 'the', 'with', 'and', 'its')) begin -= 1;
      tokens = [...tokens.slice(0, begin), ...tokens.slice(until)];
    }
    const items = readResourceItems(tokens);
    if (items.untyped.length > 0) {
      this.askKinds(items.untyped);
      return null;
    }
    if (items.roles.length > 0) {
      this.notes.push(`ignored: roles ${items.roles.join(', ')} (an agent has no roles)`);
    }
    return items;
  }

  private askKinds(names: string[]): void {
    for (const name of names) {
      this.questions.push({
        text: `Is "${name}" a tool, a knowledge base or a capability?`,
        options: [`the ${name} tool`, `the ${name} knowledge base`, `the ${name} capability`],
      });
    }
  }

  private transition(
    clause: Token[],
    action: 'deploy_agents' | 'pause_agents' | 'resume_agents' | 'retire_agents',
    verbText: string,
  ): void {
    let rest = clause.slice(1);
    if (isWord(rest[0], 'down', 'off')) rest = rest.slice(1);
    const because = indexOfWord(rest, ['because', 'since', 'as', 'due']);
    if (because > 0) {
      this.notes.push(`ignored: "${joinText(rest.slice(because))}" (a reason is not recorded by the grammar)`);
      rest = rest.slice(0, because);
    }
    const selectors = this.agents(rest, verbText);
    if (!selectors) return;
    for (const agents of selectors) this.actions.push({ action, agents });
  }

  private pause(clause: Token[]): void {
    // "stop X from using the ledger tool" takes a tool away; "stop X" pauses it.
    if (indexOfWord(clause, ['using', 'accessing', 'reading', 'calling']) > 0 && indexOfWord(clause, ['from']) > 0) {
      this.revoke(clause);
      return;
    }
    this.transition(clause, 'pause_agents', 'Pause');
  }

  private make(clause: Token[]): void {
    const second = clause[1];
    if (
      isWord(second, 'a', 'an', 'new', 'another') &&
      indexOfWord(clause.slice(1, 6), ['agent', 'bot', 'assistant']) >= 0
    ) {
      this.create(clause);
      return;
    }
    // "make alice an operator"
    const article = clause.findIndex((t, k) => k > 1 && isWord(t, 'a', 'an', 'the'));
    const principalEnd = article > 0 ? article : 2;
    this.roleChange(clause.slice(1, principalEnd), clause.slice(principalEnd), true, clause);
  }

  private add(clause: Token[]): void {
    const to = indexOfWord(clause, ['to', 'as']);
    // "add an agent called invoice-bot to handle invoices": the "to" says what the new agent is for.
    const newAgent =
      isWord(clause[1], 'a', 'an', 'new', 'another') &&
      indexOfWord(clause.slice(1, 5), ['agent', 'bot', 'assistant']) >= 0;
    if (to > 0 && !newAgent) {
      const before = clause.slice(1, to);
      const typed = readResourceItems(before);
      if (isWord(clause[to], 'as')) {
        this.roleChange(before, clause.slice(to + 1), true, clause);
        return;
      }
      if (typed.roles.length > 0) {
        this.roleChange(clause.slice(to + 1), before, true, clause);
        return;
      }
      if (
        typed.tools.length +
          typed.knowledgeBases.length +
          typed.capabilities.length +
          Object.keys(typed.labels).length >
          0 ||
        typed.untyped.length > 0
      ) {
        this.grantTo(clause.slice(to + 1), typed, 'Add to');
        return;
      }
    }
    this.create(clause);
  }

  private update(clause: Token[]): void {
    const words = clause.map((t) => t.lower);
    const field = ['model', 'instructions', 'description', 'name', 'labels', 'label', 'capabilities'].find((f) =>
      words.includes(f),
    );
    if (!field) {
      if (clause[0].lower === 'switch' && indexOfWord(clause, ['to']) > 0) {
        this.setField(clause, 'model', indexOfWord(clause, ['to']));
        return;
      }
      this.questions.push({
        text: `What should change? (${joinText(clause)})`,
        options: ['model', 'instructions', 'description', 'name', 'labels'],
      });
      return;
    }
    this.setField(clause, field, indexOfWord(clause, [field]));
  }

  /** "set X's model to M", "change the model of X to M", "update X's instructions to …". */
  private setField(clause: Token[], field: string, at: number): void {
    const to = clause.findIndex(
      (t, k) => k > at && (isWord(t, 'to', 'as', 'is') || t.lower === ':' || t.lower === '='),
    );
    let agentTokens: Token[];
    if (at > 1 && clause[at - 1].possessive) {
      const start = isWord(clause[1], 'the') ? 2 : 1;
      agentTokens = clause.slice(start, at);
    } else if (isWord(clause[at + 1], 'of', 'for') && to > at + 2) {
      agentTokens = clause.slice(at + 2, to);
    } else {
      agentTokens = clause
        .slice(1, field === 'model' && clause[0].lower === 'switch' ? at : at)
        .filter((t) => !isWord(t, 'the'));
    }
    if (field === 'labels' || field === 'label') {
      const labels: Record<string, string> = {};
      for (let k = at + 1; k < clause.length; k++) {
        const l = readLabel(clause, k);
        if (l) {
          labels[l.key] = l.value;
          k = l.next - 1;
        }
      }
      // "set X's label team to sales"
      if (Object.keys(labels).length === 0 && to > at + 1 && clause[to + 1])
        labels[clause[at + 1].lower] = clause[to + 1].text;
      const onAt = indexOfWord(clause, ['on', 'of', 'for']);
      if (agentTokens.length === 0 && onAt > at) agentTokens = clause.slice(onAt + 1);
      this.pushUpdate(agentTokens, { setLabels: labels }, Object.keys(labels).length > 0);
      return;
    }
    if (to < 0 || to + 1 >= clause.length) {
      this.questions.push({ text: `What should the ${field} be?`, options: [] });
      return;
    }
    const valueToken = clause[to + 1];
    const value =
      valueToken.kind === 'quoted'
        ? valueToken.text
        : this.text.slice(valueToken.start, clause[clause.length - 1].end).trim();
    const change: Record<string, string> =
      field === 'name' ? { rename: value } : field === 'capabilities' ? {} : { [field]: value };
    if (field === 'model' && isWord(valueToken, 'model')) change.model = clause[to + 2]?.text ?? '';
    this.pushUpdate(agentTokens, change, field !== 'capabilities' && Object.values(change).every((v) => v.length > 0));
  }

  private pushUpdate(
    agentTokens: Token[],
    change: Partial<Extract<DraftAction, { action: 'update_agent' }>>,
    valid: boolean,
  ): void {
    if (!valid) {
      this.questions.push({ text: 'What should change, and to what?', options: [] });
      return;
    }
    const agent = this.singleAgent(agentTokens, 'Which agent should change?');
    if (agent === null) return;
    this.actions.push({ action: 'update_agent', agent, ...change });
  }

  private rename(clause: Token[]): void {
    const to = indexOfWord(clause, ['to', 'as', 'into']);
    if (to < 2 || to + 1 >= clause.length) {
      this.questions.push({ text: 'Rename which agent, and to what?', options: [] });
      return;
    }
    this.pushUpdate(clause.slice(1, to), { rename: clause[to + 1].text }, true);
  }

  private label(clause: Token[]): void {
    const labelAt = clause.findIndex((t, k) => k > 0 && readLabel(clause, k) !== undefined);
    if (labelAt < 0) {
      this.questions.push({ text: 'Which label (key=value)?', options: [] });
      return;
    }
    const labels: Record<string, string> = {};
    for (let k = labelAt; k < clause.length; k++) {
      const l = readLabel(clause, k);
      if (l) {
        labels[l.key] = l.value;
        k = l.next - 1;
      }
    }
    const agentTokens = clause.slice(1, labelAt).filter((t) => !isWord(t, 'with', 'as', 'the'));
    this.pushUpdate(agentTokens, { setLabels: labels }, true);
  }

  private set(clause: Token[]): void {
    if (isWord(clause[1], 'up')) {
      this.create(clause);
      return;
    }
    const q = readQuantities(clause);
    if (
      indexOfWord(clause, ['budget', 'limit', 'spending', 'spend', 'cap', 'allowance']) >= 0 ||
      q.costLimitMicros !== undefined ||
      q.tokenLimit !== undefined
    ) {
      this.budget(clause);
      return;
    }
    this.update(clause);
  }

  private remove(clause: Token[]): void {
    const words = clause.map((t) => t.lower);
    const hasFrom = words.includes('from');
    const possessiveFirst = clause[1]?.possessive || (isWord(clause[1], 'the') && clause[2]?.possessive);
    const keyword = words.some((w) =>
      [
        'tool',
        'tools',
        'knowledge',
        'kb',
        'kbs',
        'role',
        'roles',
        'capability',
        'capabilities',
        'access',
        'label',
      ].includes(w),
    );
    if ((hasFrom && keyword) || (possessiveFirst && keyword) || (hasFrom && clause.length > 3)) {
      this.revoke(clause);
      return;
    }
    this.transition(clause, 'retire_agents', 'Retire');
  }

  // ---- grants ----

  private give(clause: Token[]): void {
    const rest = clause.slice(1);
    const useAt = rest.findIndex((t) => isWord(t, 'use', 'access', 'read', 'call', 'query', 'search'));
    const toAt = rest.findIndex(
      (t, k) =>
        isWord(t, 'to') &&
        !isWord(rest[k - 1], 'access') &&
        !isWord(rest[k + 1], 'use', 'access', 'read', 'call', 'query', 'search'),
    );
    let agentTokens: Token[];
    let resourceTokens: Token[];
    if (toAt > 0 && (useAt < 0 || useAt > toAt)) {
      resourceTokens = rest.slice(0, toAt);
      agentTokens = rest.slice(toAt + 1);
    } else if (useAt > 0 && ['let', 'allow'].includes(clause[0].lower)) {
      agentTokens = rest.slice(0, useAt).filter((t) => !isWord(t, 'to'));
      resourceTokens = rest.slice(useAt + 1);
    } else {
      const phraseEnd = agentPhraseEnd(rest);
      let end = phraseEnd;
      if (end < 0) {
        end = rest.findIndex(
          (t, k) =>
            k > 0 &&
            (isWord(
              t,
              'the',
              'a',
              'an',
              'access',
              'tool',
              'tools',
              'kb',
              'kbs',
              'knowledge',
              'role',
              'rights',
              'permission',
              'permissions',
            ) ||
              t.kind === 'quoted'),
        );
        if (end < 0) end = 1;
      }
      agentTokens = rest.slice(0, end);
      resourceTokens = rest.slice(end);
    }
    const typed = readResourceItems(resourceTokens);
    if (
      typed.roles.length > 0 ||
      isSelf(agentTokens) ||
      resourceTokens.some((t) => isWord(t, 'admin', 'rights', 'permission', 'permissions', 'privileges'))
    ) {
      this.roleChange(agentTokens, resourceTokens, true, clause);
      return;
    }
    this.grantTo(agentTokens, typed, 'Give');
  }

  private grantTo(agentTokens: Token[], typed: ResourceItems, verbText: string): void {
    if (typed.untyped.length > 0) {
      this.askKinds(typed.untyped);
      return;
    }
    const selectors = this.agents(agentTokens, verbText);
    if (!selectors) return;
    for (const agents of selectors) this.pushGrants(agents, typed, true);
  }

  private pushGrants(agents: AgentSelector, typed: ResourceItems, grant: boolean): void {
    let any = false;
    if (typed.tools.length > 0) {
      this.actions.push({ action: grant ? 'grant_tools' : 'revoke_tools', agents, tools: dedupe(typed.tools) });
      any = true;
    }
    if (typed.knowledgeBases.length > 0) {
      this.actions.push({
        action: grant ? 'grant_knowledge' : 'revoke_knowledge',
        agents,
        knowledgeBases: dedupe(typed.knowledgeBases),
      });
      any = true;
    }
    const labels = Object.keys(typed.labels).length > 0;
    if (typed.capabilities.length > 0 || (labels && grant)) {
      if (agents.name === undefined || Object.keys(agents).length !== 1) {
        this.questions.push({ text: 'Capabilities and labels change one agent at a time: which agent?', options: [] });
        return;
      }
      this.actions.push({
        action: 'update_agent',
        agent: agents.name,
        ...(typed.capabilities.length > 0
          ? { [grant ? 'addCapabilities' : 'removeCapabilities']: dedupe(typed.capabilities) }
          : {}),
        ...(labels && grant ? { setLabels: typed.labels } : {}),
      });
      any = true;
    }
    if (!any) this.questions.push({ text: 'Which tools or knowledge bases?', options: [] });
  }

  private revoke(clause: Token[]): void {
    let rest = clause.slice(1).filter((t) => !isWord(t, 'away'));
    if (isWord(rest[0], 'down')) rest = rest.slice(1);
    const fromAt = indexOfWord(rest, ['from']);
    let agentTokens: Token[];
    let resourceTokens: Token[];
    if (clause[0].lower === 'stop' && fromAt > 0) {
      agentTokens = rest.slice(0, fromAt);
      resourceTokens = rest.slice(fromAt + 1).filter((t) => !isWord(t, 'using', 'accessing', 'reading', 'calling'));
    } else if (fromAt >= 0) {
      resourceTokens = rest.slice(0, fromAt);
      agentTokens = rest.slice(fromAt + 1);
    } else {
      const start = isWord(rest[0], 'the') ? 1 : 0;
      const owner = rest.findIndex((t, k) => k >= start && t.possessive);
      if (owner < 0) {
        this.questions.push({ text: `Take what away from whom? (${joinText(clause)})`, options: [] });
        return;
      }
      agentTokens = rest.slice(start, owner + 1);
      resourceTokens = rest.slice(owner + 1);
    }
    const typed = readResourceItems(resourceTokens);
    if (typed.roles.length > 0 || isSelf(agentTokens)) {
      this.roleChange(agentTokens, resourceTokens, false, clause);
      return;
    }
    if (typed.untyped.length > 0) {
      this.askKinds(typed.untyped);
      return;
    }
    const selectors = this.agents(agentTokens, 'Revoke from');
    if (!selectors) return;
    for (const agents of selectors) this.pushGrants(agents, typed, false);
  }

  // ---- roles ----

  /**
   * A role assigned to or revoked from a person. The person typing is never
   * the subject ("make me tenant admin"): a plan never changes its caller's
   * own rights, so that is refused with a note.
   */
  private roleChange(principalTokens: Token[], roleTokens: Token[], assign: boolean, clause: Token[]): void {
    if (isSelf(principalTokens)) {
      this.notes.push(`refused: "${joinText(clause)}" (a plan never changes the roles of the person asking)`);
      return;
    }
    const principal = principalTokens
      .filter((t) => !isWord(t, 'the', 'user', 'service', 'account', 'principal'))
      .map((t) => t.text)
      .join(' ');
    const role = roleTokens
      .filter(
        (t) =>
          t.kind !== 'punct' &&
          !isWord(t, 'a', 'an', 'the', 'role', 'roles', 'rights', 'access', 'permissions', 'of', 'as', 'to', 'again'),
      )
      .map((t) => t.lower)
      .join('-');
    if (principal.length === 0 || role.length === 0) {
      this.questions.push({
        text: `${assign ? 'Assign' : 'Revoke'} which role to whom? (${joinText(clause)})`,
        options: [],
      });
      return;
    }
    this.actions.push({ action: assign ? 'assign_role' : 'revoke_role', principal, role });
  }

  private assign(clause: Token[]): void {
    const to = indexOfWord(clause, ['to']);
    if (to > 1) {
      if (clause[0].lower === 'promote') this.roleChange(clause.slice(1, to), clause.slice(to + 1), true, clause);
      else this.roleChange(clause.slice(to + 1), clause.slice(1, to), true, clause);
      return;
    }
    const article = clause.findIndex((t, k) => k > 1 && isWord(t, 'a', 'an', 'the', 'role'));
    const end = article > 0 ? article : 2;
    this.roleChange(clause.slice(1, end), clause.slice(end), true, clause);
  }

  // ---- budgets ----

  private budget(clause: Token[]): void {
    const q = readQuantities(clause);
    if (q.costLimitMicros === undefined && q.tokenLimit === undefined) {
      this.questions.push({ text: 'What limit: an amount of money ($5) or of tokens (1M tokens)?', options: [] });
      return;
    }
    if (!q.period) {
      this.questions.push({ text: 'Per day or per month?', options: ['per day', 'per month'] });
      return;
    }
    const BUDGET_WORDS = [
      'limit',
      'cap',
      'restrict',
      'budget',
      'set',
      'to',
      'at',
      'of',
      'for',
      'the',
      'a',
      'an',
      'spending',
      'spend',
      'and',
      'max',
      'maximum',
      'is',
      'be',
      'should',
      'allowance',
      'usage',
      'monthly',
      'daily',
      'on',
      'per',
      'total',
      'most',
      'up',
      'new',
    ];
    const target = clause.filter(
      (t, k) => k > 0 && !q.used.has(k) && t.kind !== 'punct' && !BUDGET_WORDS.includes(t.lower),
    );
    const targetWords = target.map((t) => t.lower);
    const tenant =
      targetWords.length === 0 ||
      targetWords.every((w) =>
        [
          'tenant',
          'us',
          'we',
          'our',
          'org',
          'organisation',
          'organization',
          'company',
          'overall',
          'whole',
          'everyone',
          'account',
          'workspace',
        ].includes(w),
      );
    const base = {
      action: 'set_budget' as const,
      period: q.period,
      ...(q.tokenLimit !== undefined ? { tokenLimit: q.tokenLimit } : {}),
      ...(q.costLimitMicros !== undefined ? { costLimitMicros: q.costLimitMicros } : {}),
    };
    if (tenant) {
      this.actions.push(base);
      return;
    }
    if (targetWords.some((w) => ['all', 'every', 'each', 'agents'].includes(w))) {
      this.questions.push({
        text: 'A budget is for the tenant as a whole or for one agent: which?',
        options: ['the tenant'],
      });
      return;
    }
    const agent = this.singleAgent(target, 'Which agent is the budget for?');
    if (agent === null) return;
    this.actions.push({ ...base, agent });
  }

  // ---- approvals and tasks by id ----

  private decide(clause: Token[], approve: boolean): void {
    let i = 1;
    while (isWord(clause[i], 'the', 'approval', 'request', 'id', 'approvals') || clause[i]?.lower === ':') i += 1;
    const id = clause[i];
    const because = clause.findIndex(
      (t, k) => k > i && (isWord(t, 'because', 'since', 'reason', 'as', 'due') || t.lower === ':' || t.lower === ','),
    );
    if (!id || id.kind === 'punct' || !/\d/.test(id.text) || id.text.length < 6) {
      this.questions.push({
        text: `Which approval? ${approve ? 'Approve' : 'Reject'} one at a time, by its id (ask "pending approvals?" to see them).`,
        options: [],
      });
      return;
    }
    let reasonFrom = because >= 0 ? because + 1 : -1;
    while (reasonFrom > 0 && (isWord(clause[reasonFrom], 'of', 'is') || clause[reasonFrom]?.lower === ':'))
      reasonFrom += 1;
    const reason =
      reasonFrom > 0 && reasonFrom < clause.length
        ? this.text.slice(clause[reasonFrom].start, clause[clause.length - 1].end).trim()
        : undefined;
    this.actions.push({
      action: 'decide_approval',
      approval: id.text,
      approve,
      ...(reason ? { reason: reason.slice(0, 2000) } : {}),
    });
  }

  private cancel(clause: Token[]): void {
    let i = 1;
    while (isWord(clause[i], 'the', 'task', 'id', 'job')) i += 1;
    const id = clause[i];
    if (!id || id.kind === 'punct' || !(UUIDISH.test(id.text) || (/\d/.test(id.text) && id.text.length >= 6))) {
      this.questions.push({ text: 'Which task? Cancel one task at a time, by its id.', options: [] });
      return;
    }
    this.actions.push({ action: 'cancel_task', task: id.text });
  }

  /** "roll back X (to version N | to the previous version)", "roll X back to v2", "revert X to version 1". */
  private rollback(clause: Token[]): void {
    const rest = clause.slice(1).filter((t) => !isWord(t, 'back'));
    const to = indexOfWord(rest, ['to']);
    const target = to >= 0 ? rest.slice(to + 1).filter((t) => t.kind !== 'punct') : [];
    const toVersion = versionNumber(target);
    if (target.length > 0 && toVersion === undefined && !target.some((t) => isWord(t, ...PREVIOUS_WORDS))) {
      this.questions.push({ text: 'Which version? Name it by its number, e.g. "to version 2".', options: [] });
      return;
    }
    const agent = this.singleAgent(to >= 0 ? rest.slice(0, to) : rest, 'Which agent should be rolled back?');
    if (agent === null) return;
    this.actions.push({ action: 'rollback_agent', agent, ...(toVersion !== undefined ? { toVersion } : {}) });
  }

  // ---- questions answered by read steps ----

  private readQuestion(clause: Token[]): boolean {
    const words = clause.map((t) => t.lower);
    const phrase = words.filter((w) => !['?', '!', '.', ','].includes(w)).join(' ');
    if (
      /\bwho ?am ?i\b|\bwhoami\b|\bmy (roles|permissions|identity|access)\b|\bwhat can i do\b|\bwho i am\b/.test(phrase)
    ) {
      this.actions.push({ action: 'who_am_i' });
      return true;
    }
    if (/\bapprovals?\b|\bapproving\b|\bawaiting (my )?(approval|decision)\b|\bto approve\b/.test(phrase)) {
      this.actions.push({ action: 'list_approvals' });
      return true;
    }
    if (/\b(spend|spent|spending|costs?|costing|budgets?|how much)\b/.test(phrase)) return this.spendQuestion(clause);
    // "the versions of X", "X's version history", "the definition history of X": before "history" means activity.
    if (/\bversions?\b|\bdefinition history\b|\bdefinitions\b/.test(phrase)) return this.versionsQuestion(clause);
    if (
      /\b(did|has|have|was)\b.*\b(do|done|doing|up to)\b|\bwhat\b.*\bdid\b|\bactivity\b|\bhistory\b|\bwhat happened\b/.test(
        phrase,
      )
    ) {
      return this.activityQuestion(clause);
    }
    if (/\btasks?\b/.test(phrase)) {
      const state = words.map((w) => TASK_STATE_WORDS[w]).find((s) => s !== undefined) as
        Extract<DraftAction, { action: 'list_tasks' }>['state'] | undefined;
      const of = indexOfWord(clause, ['of', 'for', 'to', 'by']);
      const owner = clause.findIndex((t) => t.possessive);
      const agentTokens =
        owner >= 0
          ? clause.slice(owner, owner + 1)
          : of >= 0
            ? clause.slice(of + 1).filter((t) => t.kind !== 'punct')
            : [];
      let agent: string | undefined;
      if (agentTokens.length > 0) {
        const a = this.singleAgent(agentTokens, 'Whose tasks?');
        if (a === null) return true;
        agent = a;
      }
      this.actions.push({ action: 'list_tasks', ...(state ? { state } : {}), ...(agent ? { agent } : {}) });
      return true;
    }
    // "the knowledge bases and the tools": one read each, in the order asked.
    const topics = [
      { at: phrase.search(/\btools?\b/), action: { action: 'list_tools' as const } },
      {
        at: phrase.search(/\b(knowledge ?bases?|kbs?|knowledge)\b/),
        action: { action: 'list_knowledge_bases' as const },
      },
    ]
      .filter((topic) => topic.at >= 0)
      .sort((a, b) => a.at - b.at);
    for (const topic of topics) this.actions.push(topic.action);
    if (topics.length > 0) return true;
    if (
      /\bagents\b|\bagent (is|are)\b|\bhow many\b/.test(phrase) ||
      words.some(
        (w) =>
          Object.hasOwn(STATE_WORDS, w) &&
          !/^(is|are) \S+ (\S+ )?(paused|active|running|retired|draft|live|deployed|stopped|suspended)$/.test(phrase),
      )
    ) {
      return this.listQuestion(clause);
    }
    return this.showQuestion(clause);
  }

  private listQuestion(clause: Token[]): boolean {
    const FILLER = [
      'which',
      'what',
      'whats',
      'list',
      'show',
      'display',
      'get',
      'find',
      'view',
      'see',
      'me',
      'are',
      'is',
      'do',
      'does',
      'we',
      'have',
      'there',
      'currently',
      'right',
      'now',
      'how',
      'many',
      'all',
      'the',
      'of',
      'our',
      'my',
      'any',
      'us',
      'got',
      'exist',
      'in',
      'fleet',
      'tenant',
      'agent',
      'agents',
      'state',
      'status',
      'ones',
      'can',
      'could',
      'able',
      'to',
      'have',
      'has',
      'with',
      'that',
      'who',
      'capability',
      'capabilities',
      'skill',
      'handle',
      'labelled',
      'labeled',
      'tagged',
      'label',
      'please',
      'for',
      'team',
    ];
    const selector: AgentSelector = {};
    for (const w of clause.map((t) => t.lower)) if (Object.hasOwn(STATE_WORDS, w)) selector.state = STATE_WORDS[w];
    const remaining: Token[] = [];
    for (let k = 0; k < clause.length; k++) {
      const label = readLabel(clause, k);
      if (label) {
        selector.label = { key: label.key, value: label.value };
        k = label.next - 1;
        continue;
      }
      const t = clause[k];
      if (t.kind === 'punct' || FILLER.includes(t.lower) || Object.hasOwn(STATE_WORDS, t.lower)) continue;
      remaining.push(t);
    }
    const words = clause.map((t) => t.lower);
    if (words.includes('team') && remaining.length === 1 && !selector.label) {
      selector.label = { key: 'team', value: remaining[0].lower };
    } else if (remaining.length > 0) {
      selector.capability = remaining.map((t) => t.lower).join(' ');
    }
    this.actions.push(
      Object.keys(selector).length > 0 ? { action: 'list_agents', agents: selector } : { action: 'list_agents' },
    );
    return true;
  }

  private showQuestion(clause: Token[]): boolean {
    const FILLER = [
      ...READ_QUESTION_WORDS,
      'describe',
      'about',
      'tell',
      'status',
      'on',
      'details',
      'info',
      'information',
      'how',
      'doing',
      'find',
      'look',
      'up',
      'at',
      'a',
      'detail',
      'state',
      'current',
      'currently',
      'who',
    ];
    const ref = clause.filter(
      (t) => t.kind !== 'punct' && !FILLER.includes(t.lower) && !Object.hasOwn(STATE_WORDS, t.lower),
    );
    // Only "show/describe/tell me about/what is/is X …" of one name or "the … agent": anything else is not a name.
    const asked = clause[0].kind === 'word' && ['read', 'ask'].includes(verbClass(clause[0].lower) ?? '');
    const oneName = ref.length === 1 || (ref.length <= 3 && isWord(ref[ref.length - 1], 'agent'));
    if (!asked || !oneName || isWord(ref[0], 'you', 'yourself', 'u')) return false;
    const agent = this.singleAgent(ref, 'Which agent?');
    if (agent === null) return true;
    this.actions.push({ action: 'show_agent', agent });
    return true;
  }

  private versionsQuestion(clause: Token[]): boolean {
    const VERSIONS_FILLER = [
      ...READ_QUESTION_WORDS,
      'which',
      'did',
      'has',
      'had',
      'all',
      'every',
      'for',
      'version',
      'versions',
      'history',
      'definition',
      'definitions',
      'previous',
      'past',
      'earlier',
      'old',
      'older',
      'there',
      'been',
    ];
    const target = clause.filter((t) => t.kind !== 'punct' && !VERSIONS_FILLER.includes(t.lower));
    const agent = this.singleAgent(target, 'Whose versions?');
    if (agent === null) return true;
    this.actions.push({ action: 'list_agent_versions', agent });
    return true;
  }

  private spendQuestion(clause: Token[]): boolean {
    const SPEND_FILLER = [
      'how',
      'much',
      'have',
      'has',
      'did',
      'do',
      'does',
      'we',
      'us',
      'our',
      'i',
      'spent',
      'spend',
      'spending',
      'cost',
      'costs',
      'costing',
      'budget',
      'budgets',
      'the',
      'tenant',
      'this',
      'week',
      'month',
      'today',
      'so',
      'far',
      'is',
      'what',
      'whats',
      'show',
      'me',
      'total',
      'in',
      'on',
      'overall',
      'all',
      'been',
      'money',
      'was',
      'of',
      'for',
      'current',
      'status',
      'remaining',
      'left',
      'used',
      'usage',
      'tokens',
      'daily',
      'monthly',
      'are',
      'a',
      'it',
      'get',
      'check',
      'display',
      'by',
      'and',
    ];
    const target = clause.filter((t) => t.kind !== 'punct' && !SPEND_FILLER.includes(t.lower));
    const period = spendPeriod(clause);
    const mentionsIt = clause.some((t) => isWord(t, 'it') || t.lower === 'its');
    if (target.length === 0 && !mentionsIt) {
      this.actions.push({ action: 'show_spend', period });
      return true;
    }
    const agent = this.singleAgent(
      target.length > 0 ? target : clause.filter((t) => isWord(t, 'it', 'its')),
      'Whose spend?',
    );
    if (agent === null) return true;
    this.actions.push({ action: 'show_spend', period, agent });
    return true;
  }

  private activityQuestion(clause: Token[]): boolean {
    const words = clause.map((t) => t.lower);
    const since = words.includes('yesterday')
      ? 'yesterday'
      : words.includes('week')
        ? 'this week'
        : words.includes('today')
          ? 'today'
          : undefined;
    const ACTIVITY_FILLER = [
      'what',
      'whats',
      'did',
      'has',
      'have',
      'was',
      'do',
      'done',
      'doing',
      'been',
      'up',
      'to',
      'today',
      'yesterday',
      'this',
      'week',
      'show',
      'me',
      'activity',
      'history',
      'of',
      'for',
      'by',
      'the',
      'recent',
      'happened',
      'with',
      'so',
      'far',
      'lately',
      'recently',
      'since',
      'all',
      'day',
      'log',
      'list',
      'get',
      'see',
      'view',
      'display',
      'is',
      'tell',
      'about',
      'in',
    ];
    const target = clause.filter((t) => t.kind !== 'punct' && !ACTIVITY_FILLER.includes(t.lower));
    const agent = this.singleAgent(target, 'Which agent?');
    if (agent === null) return true;
    this.actions.push({ action: 'agent_activity', agent, ...(since ? { since } : {}) });
    return true;
  }
}

/** The words of a question about one agent that are not its name ("show me the …", "what does … have"). */
const READ_QUESTION_WORDS = [
  'show',
  'me',
  'list',
  'display',
  'get',
  'view',
  'see',
  'check',
  'what',
  'whats',
  'is',
  'are',
  'do',
  'does',
  'have',
  'the',
  'please',
  'of',
];

/** Words that say "the version before the current one" in a rollback. */
const PREVIOUS_WORDS = ['previous', 'last', 'prior', 'earlier', 'former', 'before'];

/** The version a rollback names ("version 2", "v2", "2"); undefined when it names none. */
function versionNumber(tokens: readonly Token[]): number | undefined {
  for (const t of tokens) {
    const match = t.kind === 'word' ? /^v?(\d{1,9})$/.exec(t.lower) : null;
    if (match && Number(match[1]) >= 1) return Number(match[1]);
  }
  return undefined;
}

/** The grammar's class of a (possibly misspelt) verb: "pasue" → "pause". */
function verbClass(word: string): string | undefined {
  const reading = readVerb(word);
  return reading ? VERBS[reading.verb] : undefined;
}

function isSelf(tokens: readonly Token[]): boolean {
  const words = tokens.filter((t) => t.kind !== 'punct').map((t) => t.lower);
  // "me", "myself", "me and alice", "my own": a change that names the caller first is the caller's.
  return words.length > 0 && SELF_WORDS.includes(words[0]);
}

function dedupe(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function describeSelector(s: AgentSelector): string {
  if (s.name !== undefined) return s.name;
  const parts: string[] = [];
  if (s.state) parts.push(s.state.toLowerCase());
  if (s.capability) parts.push(`${s.capability} (capability)`);
  if (s.label) parts.push(`labelled ${s.label.key}=${s.label.value}`);
  return parts.length > 0 ? `agents: ${parts.join(', ')}` : 'all agents';
}
