import { foldName } from '@aos/domain';
import type { Directory, DirectoryAgent } from '../directory';
import type { AgentSelector, Draft, DraftAction } from '../draft';
import { planMethod } from '../method-catalog';
import type { Resolution, ResolvedInput, ResolvedStep } from '../resolution';
import { agentOption, isUuid, matchAgent, matchEntry, matchRole, shortId, type NameMatch } from './directory-names';
import { activityRange } from './activity-range';

export interface ResolveOptions {
  /** The clock, for "today" and "this week" (read steps' time ranges). */
  now: Date;
}

/**
 * Resolves a draft's names against one tenant's directory, by code: each
 * action becomes zero or more calls of the public API (see PLAN_METHODS).
 *
 * Requests have the shapes of the generated TS types (libs/contracts), which
 * are what the services read: int64 as numbers, enums as names, a FieldMask as
 * the list of proto (snake_case) paths the lifecycle service accepts
 * (["tool_ids"]), a Timestamp as {seconds, nanos}. Fields left at their
 * default are omitted, as proto3 JSON does; `approve` is always written.
 *
 * A plan with an open question has no steps: every step of it could depend on
 * the answer, and Execute would refuse it anyway.
 */
export function resolveDraft(draft: Draft, directory: Directory, options: ResolveOptions): Resolution {
  return new DraftResolver(directory, options).resolve(draft);
}

type AgentState = DirectoryAgent['state'];

/** An agent as this plan leaves it so far: later steps see the earlier ones' effect. */
interface PlannedAgent {
  agent: DirectoryAgent;
  state: AgentState;
  toolIds: string[];
  knowledgeBaseIds: string[];
  capabilities: string[];
  labels: Record<string, string>;
  /** Its definition version once the plan's earlier steps have run (each update makes one). */
  definitionVersion: number;
  /** The plan already has a step on it: later steps cannot know its revision. */
  touched: boolean;
}

/** An agent a create_agent action of this draft makes: later actions fold into its request or read its id. */
interface CreatedAgent {
  step: number;
  name: string;
  state: AgentState;
  request: {
    name: string;
    description?: string;
    capabilities?: string[];
    instructions?: string;
    model?: string;
    toolIds?: string[];
    knowledgeBaseIds?: string[];
    labels?: Record<string, string>;
  };
  toolNames: Map<string, string>;
}

type Target = { kind: 'existing'; planned: PlannedAgent } | { kind: 'created'; created: CreatedAgent };

const TRANSITIONS = {
  deploy_agents: { method: 'DeployAgent', from: ['DRAFT'], to: 'ACTIVE', verb: 'Deploy' },
  pause_agents: { method: 'PauseAgent', from: ['ACTIVE'], to: 'PAUSED', verb: 'Pause' },
  resume_agents: { method: 'ResumeAgent', from: ['PAUSED'], to: 'ACTIVE', verb: 'Resume' },
  retire_agents: { method: 'RetireAgent', from: ['DRAFT', 'ACTIVE', 'PAUSED'], to: 'RETIRED', verb: 'Retire' },
} as const satisfies Record<string, { method: string; from: readonly AgentState[]; to: AgentState; verb: string }>;

const SELF = ['me', 'myself', 'i', 'my', 'us', 'we'];
const MASK_ORDER = [
  'name',
  'description',
  'capabilities',
  'instructions',
  'model',
  'tool_ids',
  'knowledge_base_ids',
  'labels',
];

class DraftResolver {
  private readonly steps: ResolvedStep[] = [];
  private readonly questions: Resolution['questions'] = [];
  private readonly notes: string[] = [];
  private readonly agents: readonly DirectoryAgent[];
  private readonly planned = new Map<string, PlannedAgent>();
  private readonly created = new Map<string, CreatedAgent>();

  constructor(
    private readonly directory: Directory,
    private readonly options: ResolveOptions,
  ) {
    this.agents = [...directory.agents()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  resolve(draft: Draft): Resolution {
    this.questions.push(...draft.questions);
    this.notes.push(...draft.notes);
    for (const action of draft.actions) this.action(action);
    for (const created of this.created.values()) this.finishCreate(created);
    return {
      steps: this.questions.length > 0 ? [] : this.steps,
      questions: this.questions.slice(0, 20),
      notes: this.notes.slice(0, 20),
    };
  }

  private step(
    service: string,
    method: string,
    request: Record<string, unknown>,
    preview: string,
    inputs: ResolvedInput[] = [],
  ): number {
    if (!planMethod(service, method)) throw new Error(`${service}.${method} is not a method a plan may call`);
    this.steps.push({ service, method, request, inputs, preview });
    return this.steps.length - 1;
  }

  private ask<T>(match: NameMatch<T>): T | undefined {
    if ('found' in match) return match.found;
    if (!this.questions.some((q) => q.text === match.question.text)) this.questions.push(match.question);
    return undefined;
  }

  private action(action: DraftAction): void {
    switch (action.action) {
      case 'create_agent':
        return this.createAgent(action);
      case 'update_agent':
        return this.updateAgent(action);
      case 'deploy_agents':
      case 'pause_agents':
      case 'resume_agents':
      case 'retire_agents':
        return this.transition(action.action, action.agents);
      case 'grant_tools':
      case 'revoke_tools':
        return this.changeAccess(action.agents, 'tool', action.tools, action.action === 'grant_tools');
      case 'grant_knowledge':
      case 'revoke_knowledge':
        return this.changeAccess(action.agents, 'kb', action.knowledgeBases, action.action === 'grant_knowledge');
      case 'submit_task':
        return this.submitTask(action);
      case 'cancel_task':
        if (!isUuid(action.task)) {
          this.questions.push({
            text: `Tasks are named by their full id; "${action.task}" is not one. Which task?`,
            options: [],
          });
          return;
        }
        this.step('TaskService', 'CancelTask', { id: action.task }, `Cancel task ${shortId(action.task)}`);
        return;
      case 'set_budget':
        return this.setBudget(action);
      case 'assign_role':
      case 'revoke_role':
        return this.role(action.action === 'assign_role', action.principal, action.role);
      case 'decide_approval':
        return this.decideApproval(action);
      case 'list_agents':
        return this.listAgents(action.agents);
      case 'show_agent':
        return this.readAgent(action.agent, (target, label) =>
          target.kind === 'created'
            ? this.step('AgentService', 'GetAgent', {}, `Show agent ${label}`, [idInput('id', target.created)])
            : this.step('AgentService', 'GetAgent', { id: target.planned.agent.id }, `Show agent ${label}`),
        );
      case 'list_agent_versions':
        return this.readAgent(action.agent, (target, label) =>
          target.kind === 'created'
            ? this.step('AgentService', 'ListAgentVersions', {}, `Show the versions of agent ${label}`, [
                idInput('id', target.created),
              ])
            : this.step(
                'AgentService',
                'ListAgentVersions',
                { id: target.planned.agent.id },
                `Show the versions of agent ${label}`,
              ),
        );
      case 'rollback_agent':
        return this.rollback(action.agent, action.toVersion);
      case 'agent_activity':
        return this.activity(action.agent, action.since);
      case 'list_tasks':
        return this.listTasks(action.state, action.agent);
      case 'show_spend':
        return this.showSpend(action.period, action.agent);
      case 'list_tools':
        this.step('ToolService', 'ListTools', {}, 'List tools');
        return;
      case 'list_knowledge_bases':
        this.step('KnowledgeService', 'ListKnowledgeBases', {}, 'List knowledge bases');
        return;
      case 'list_approvals':
        this.step('GovernanceService', 'ListApprovals', { state: 'PENDING' }, 'List pending approvals');
        return;
      case 'who_am_i':
        this.step('GovernanceService', 'WhoAmI', {}, 'Show who I am and my roles');
        return;
      default: {
        const never: never = action;
        throw new Error(`unhandled action ${JSON.stringify(never)}`);
      }
    }
  }

  // ---- agents ----

  private plannedAgent(agent: DirectoryAgent): PlannedAgent {
    let p = this.planned.get(agent.id);
    if (!p) {
      p = {
        agent,
        state: agent.state,
        toolIds: [...agent.toolIds],
        knowledgeBaseIds: [...agent.knowledgeBaseIds],
        capabilities: [...agent.capabilities],
        labels: { ...agent.labels },
        definitionVersion: agent.definitionVersion,
        touched: false,
      };
      this.planned.set(agent.id, p);
    }
    return p;
  }

  /** The revision to expect: only the first step on an agent knows it; it is what makes a plan made on stale state fail ABORTED. */
  private revision(p: PlannedAgent): { expectedRevision?: number } {
    const first = !p.touched;
    p.touched = true;
    return first ? { expectedRevision: p.agent.revision } : {};
  }

  /** The one agent a name means: created earlier in this draft, or in the directory; undefined after a question. */
  private targetByName(name: string): Target | undefined {
    const created = this.created.get(foldName(name.trim()));
    if (created) return { kind: 'created', created };
    const agent = this.ask(matchAgent(name, this.agents));
    return agent ? { kind: 'existing', planned: this.plannedAgent(agent) } : undefined;
  }

  /** The agents a selector picks, by name then id; retired ones only when it asks for RETIRED. */
  private targets(selector: AgentSelector): Target[] | undefined {
    const { name, ...rest } = selector;
    if (name !== undefined && Object.keys(rest).length === 0) {
      const one = this.targetByName(name);
      return one ? [one] : undefined;
    }
    const matching = this.agents.filter((a) => {
      const state = this.planned.get(a.id)?.state ?? a.state;
      if (selector.state ? state !== selector.state : state === 'RETIRED') return false;
      if (name !== undefined && foldName(a.name) !== foldName(name)) return false;
      if (selector.capability && !a.capabilities.some((c) => foldName(c) === foldName(selector.capability!)))
        return false;
      if (selector.label && !labelMatches(a.labels, selector.label)) return false;
      return true;
    });
    if (matching.length === 0) this.notes.push(`No agent is ${describeSelector(selector)}.`);
    return matching.map((agent) => ({ kind: 'existing', planned: this.plannedAgent(agent) }));
  }

  private createAgent(action: Extract<DraftAction, { action: 'create_agent' }>): void {
    const key = foldName(action.name.trim());
    const existing = this.agents.find((a) => foldName(a.name) === key);
    if (existing || this.created.has(key)) {
      this.questions.push({
        text: `An agent called ${action.name} already exists${existing ? ` (${agentOption(existing)})` : ''}. What should the new one be called?`,
        options: [],
      });
      return;
    }
    const created: CreatedAgent = {
      step: this.step('AgentService', 'CreateAgent', {}, ''),
      name: action.name,
      state: 'DRAFT',
      request: { name: action.name },
      toolNames: new Map(),
    };
    this.created.set(key, created);
    const r = created.request;
    if (action.description) r.description = action.description;
    if (action.capabilities?.length) r.capabilities = [...new Set(action.capabilities)];
    if (action.instructions) r.instructions = action.instructions;
    if (action.model) r.model = action.model;
    if (action.labels && Object.keys(action.labels).length > 0) r.labels = { ...action.labels };
    if (action.tools?.length) this.changeCreatedAccess(created, 'tool', action.tools, true);
    if (action.knowledgeBases?.length) this.changeCreatedAccess(created, 'kb', action.knowledgeBases, true);
  }

  /** The CreateAgent request and preview once every later grant and update has folded into it. */
  private finishCreate(created: CreatedAgent): void {
    const r = created.request;
    const request: Record<string, unknown> = { name: r.name };
    if (r.description) request.description = r.description;
    if (r.capabilities?.length) request.capabilities = r.capabilities;
    if (r.instructions) request.instructions = r.instructions;
    if (r.model) request.model = r.model;
    if (r.toolIds?.length) request.toolIds = r.toolIds;
    if (r.knowledgeBaseIds?.length) request.knowledgeBaseIds = r.knowledgeBaseIds;
    if (r.labels && Object.keys(r.labels).length > 0) request.labels = r.labels;
    const details = [
      r.capabilities?.length ? `capabilities: ${r.capabilities.join(', ')}` : '',
      r.toolIds?.length ? `tools: ${r.toolIds.map((id) => created.toolNames.get(id) ?? id).join(', ')}` : '',
      r.knowledgeBaseIds?.length
        ? `knowledge bases: ${r.knowledgeBaseIds.map((id) => created.toolNames.get(id) ?? id).join(', ')}`
        : '',
      r.labels && Object.keys(r.labels).length > 0 ? `labels: ${formatLabels(r.labels)}` : '',
      r.model ? `model: ${r.model}` : '',
    ].filter((d) => d !== '');
    const step = this.steps[created.step];
    step.request = { agent: request };
    step.preview = `Create agent ${r.name}${details.length > 0 ? ` (${details.join('; ')})` : ''}`;
  }

  private transition(action: keyof typeof TRANSITIONS, selector: AgentSelector): void {
    const t = TRANSITIONS[action];
    const targets = this.targets(selector);
    if (!targets) return;
    for (const target of targets) {
      const name = targetLabel(target);
      const state = target.kind === 'created' ? target.created.state : target.planned.state;
      if (state === t.to) {
        this.notes.push(`${targetName(target)} is already ${state}: no ${t.verb.toLowerCase()} step.`);
        continue;
      }
      if (!(t.from as readonly AgentState[]).includes(state)) {
        this.notes.push(`Cannot ${t.verb.toLowerCase()} ${targetName(target)}: it is ${state}.`);
        continue;
      }
      if (target.kind === 'created') {
        target.created.state = t.to;
        this.step('AgentService', t.method, {}, `${t.verb} agent ${name}`, [idInput('id', target.created)]);
      } else {
        const request = { id: target.planned.agent.id, ...this.revision(target.planned) };
        target.planned.state = t.to;
        this.step('AgentService', t.method, request, `${t.verb} agent ${name}`);
      }
    }
  }

  /** A rollback to `toVersion`, or to the version before the current one. */
  private rollback(name: string, toVersion: number | undefined): void {
    const target = this.targetByName(name);
    if (!target) return;
    if (target.kind === 'created') {
      this.notes.push(`${target.created.name} is created by this plan: it has no earlier version to roll back to.`);
      return;
    }
    const p = target.planned;
    const current = p.definitionVersion;
    if (p.state === 'RETIRED') {
      this.notes.push(`${p.agent.name} is RETIRED: it is not rolled back.`);
      return;
    }
    const version = toVersion ?? current - 1;
    if (version < 1) {
      this.notes.push(`${p.agent.name} has only version 1: there is nothing to roll back to.`);
      return;
    }
    if (version > current) {
      this.questions.push({
        text: `${p.agent.name} has versions 1 to ${current}. Which one should it be rolled back to?`,
        options: [],
      });
      return;
    }
    if (version === current) {
      this.notes.push(`${p.agent.name} is at version ${current} already: no rollback step.`);
      return;
    }
    const request = { id: p.agent.id, toVersion: version, ...this.revision(p) };
    p.definitionVersion += 1;
    this.step(
      'AgentService',
      'RollbackAgent',
      request,
      `Roll back agent ${targetLabel(target)} to version ${version} (of ${current})`,
    );
  }

  private resolveAccess(
    kind: 'tool' | 'kb',
    names: readonly string[],
    grant: boolean,
  ): { id: string; name: string }[] | undefined {
    const found: { id: string; name: string }[] = [];
    let complete = true;
    for (const name of names) {
      const entry =
        kind === 'tool'
          ? this.ask(matchEntry(name, this.directory.tools(), 'tool'))
          : this.ask(matchEntry(name, this.directory.knowledgeBases(), 'knowledge base'));
      if (!entry) {
        complete = false;
        continue;
      }
      if (grant && 'disabled' in entry && entry.disabled) {
        this.questions.push({ text: `The tool ${entry.name} is disabled and cannot be granted.`, options: [] });
        complete = false;
        continue;
      }
      if (!found.some((f) => f.id === entry.id)) found.push({ id: entry.id, name: entry.name });
    }
    return complete ? found : undefined;
  }

  private changeCreatedAccess(
    created: CreatedAgent,
    kind: 'tool' | 'kb',
    names: readonly string[],
    grant: boolean,
  ): void {
    const entries = this.resolveAccess(kind, names, grant);
    if (!entries) return;
    const field = kind === 'tool' ? 'toolIds' : 'knowledgeBaseIds';
    for (const e of entries) created.toolNames.set(e.id, e.name);
    const ids = new Set(created.request[field] ?? []);
    for (const e of entries) {
      if (grant) ids.add(e.id);
      else ids.delete(e.id);
    }
    created.request[field] = [...ids];
  }

  private changeAccess(selector: AgentSelector, kind: 'tool' | 'kb', names: readonly string[], grant: boolean): void {
    const entries = this.resolveAccess(kind, names, grant);
    if (!entries) return;
    const targets = this.targets(selector);
    if (!targets) return;
    const what = kind === 'tool' ? 'tool' : 'knowledge base';
    for (const target of targets) {
      if (target.kind === 'created') {
        this.changeCreatedAccess(target.created, kind, names, grant);
        continue;
      }
      const p = target.planned;
      if (p.state === 'RETIRED') {
        this.notes.push(`${p.agent.name} is RETIRED: its access does not change.`);
        continue;
      }
      const list = kind === 'tool' ? p.toolIds : p.knowledgeBaseIds;
      const changing = entries.filter((e) => list.includes(e.id) !== grant);
      for (const e of entries.filter((x) => !changing.includes(x))) {
        this.notes.push(`${p.agent.name} ${grant ? 'already has' : 'does not have'} the ${what} ${e.name}.`);
      }
      if (changing.length === 0) continue;
      const next = grant
        ? [...list, ...changing.map((e) => e.id)]
        : list.filter((id) => !changing.some((e) => e.id === id));
      if (kind === 'tool') p.toolIds = next;
      else p.knowledgeBaseIds = next;
      const field = kind === 'tool' ? 'toolIds' : 'knowledgeBaseIds';
      const mask = kind === 'tool' ? 'tool_ids' : 'knowledge_base_ids';
      const request = { id: p.agent.id, agent: { [field]: next }, updateMask: [mask], ...this.revision(p) };
      p.definitionVersion += 1;
      const list$ = changing.map((e) => e.name).join(', ');
      const preview = grant
        ? `Give agent ${targetLabel(target)} the ${what}${changing.length > 1 ? 's' : ''} ${list$}`
        : `Take the ${what}${changing.length > 1 ? 's' : ''} ${list$} from agent ${targetLabel(target)}`;
      this.step('AgentService', 'UpdateAgent', request, preview);
    }
  }

  private updateAgent(action: Extract<DraftAction, { action: 'update_agent' }>): void {
    const target = this.targetByName(action.agent);
    if (!target) return;
    if (action.rename !== undefined) {
      const taken = this.agents.find((a) => foldName(a.name) === foldName(action.rename!.trim()));
      if (taken || this.created.has(foldName(action.rename.trim()))) {
        this.questions.push({
          text: `An agent called ${action.rename} already exists. Which name instead?`,
          options: [],
        });
        return;
      }
    }
    if (target.kind === 'created') {
      const r = target.created.request;
      if (action.description !== undefined) r.description = action.description;
      if (action.instructions !== undefined) r.instructions = action.instructions;
      if (action.model !== undefined) r.model = action.model;
      if (action.addCapabilities || action.removeCapabilities) {
        r.capabilities = editList(r.capabilities ?? [], action.addCapabilities, action.removeCapabilities);
      }
      if (action.setLabels) r.labels = { ...r.labels, ...action.setLabels };
      if (action.rename !== undefined) {
        this.created.delete(foldName(target.created.name.trim()));
        target.created.name = action.rename;
        r.name = action.rename;
        this.created.set(foldName(action.rename.trim()), target.created);
      }
      return;
    }
    const p = target.planned;
    if (p.state === 'RETIRED') {
      this.notes.push(`${p.agent.name} is RETIRED: it is not changed.`);
      return;
    }
    const agent: Record<string, unknown> = {};
    const paths: string[] = [];
    const changes: string[] = [];
    if (action.rename !== undefined) {
      agent.name = action.rename;
      paths.push('name');
      changes.push(`name ${action.rename}`);
    }
    for (const field of ['description', 'instructions', 'model'] as const) {
      if (action[field] === undefined) continue;
      agent[field] = action[field];
      paths.push(field);
      changes.push(field === 'model' ? `model ${action.model}` : field);
    }
    if (action.addCapabilities || action.removeCapabilities) {
      const next = editList(p.capabilities, action.addCapabilities, action.removeCapabilities);
      if (next.join('\n') !== p.capabilities.join('\n')) {
        p.capabilities = next;
        agent.capabilities = next;
        paths.push('capabilities');
        changes.push(`capabilities ${next.join(', ') || '(none)'}`);
      }
    }
    if (action.setLabels && Object.keys(action.setLabels).length > 0) {
      const next = { ...p.labels, ...action.setLabels };
      if (formatLabels(next) !== formatLabels(p.labels)) {
        p.labels = next;
        agent.labels = next;
        paths.push('labels');
        changes.push(`labels ${formatLabels(next)}`);
      }
    }
    if (paths.length === 0) {
      this.notes.push(`${p.agent.name}: nothing to change.`);
      return;
    }
    paths.sort((a, b) => MASK_ORDER.indexOf(a) - MASK_ORDER.indexOf(b));
    const request = { id: p.agent.id, agent, updateMask: paths, ...this.revision(p) };
    p.definitionVersion += 1;
    this.step('AgentService', 'UpdateAgent', request, `Update agent ${targetLabel(target)}: ${changes.join('; ')}`);
  }

  // ---- tasks, budgets, roles, approvals ----

  private submitTask(action: Extract<DraftAction, { action: 'submit_task' }>): void {
    const quoted = action.text.length > 80 ? `${action.text.slice(0, 79)}…` : action.text;
    if (action.agent === undefined) {
      this.step(
        'TaskService',
        'SubmitTask',
        { task: { text: action.text } },
        `Submit task "${quoted}" (the router picks the agent)`,
      );
      return;
    }
    const target = this.targetByName(action.agent);
    if (!target) return;
    const state = target.kind === 'created' ? target.created.state : target.planned.state;
    if (state !== 'ACTIVE' && state !== 'PAUSED') {
      // A question, not a refusal: the person likely wants it deployed first, and the other steps may depend on that.
      this.questions.push({
        text: `${targetName(target)} is ${state}: a task goes only to an ACTIVE or PAUSED agent. Deploy it first?`,
        options: [],
      });
      return;
    }
    const preview = `Submit task "${quoted}" to agent ${targetLabel(target)}`;
    if (target.kind === 'created') {
      this.step('TaskService', 'SubmitTask', { task: { text: action.text } }, preview, [
        idInput('task.agentId', target.created),
      ]);
    } else {
      this.step(
        'TaskService',
        'SubmitTask',
        { task: { text: action.text, agentId: target.planned.agent.id } },
        preview,
      );
    }
  }

  private setBudget(action: Extract<DraftAction, { action: 'set_budget' }>): void {
    if (action.period === 'WEEK') {
      this.notes.push('refused: a budget is daily or monthly, not weekly (GovernanceService budgets have no week).');
      return;
    }
    if (action.tokenLimit === undefined && action.costLimitMicros === undefined) {
      this.questions.push({ text: 'What limit: an amount of money or of tokens?', options: [] });
      return;
    }
    const period = action.period === 'DAY' ? 'DAILY' : 'MONTHLY';
    const limits = {
      ...(action.tokenLimit ? { tokenLimit: action.tokenLimit } : {}),
      ...(action.costLimitMicros ? { costLimitMicros: action.costLimitMicros } : {}),
    };
    const amount = [
      action.costLimitMicros !== undefined ? formatMoney(action.costLimitMicros) : '',
      action.tokenLimit !== undefined ? `${action.tokenLimit.toLocaleString('en-US')} tokens` : '',
    ]
      .filter((s) => s !== '')
      .join(' and ');
    const per = action.period === 'DAY' ? 'per day' : 'per month';
    if (action.agent === undefined) {
      this.step(
        'GovernanceService',
        'SetBudget',
        { scope: 'TENANT', period, ...limits },
        `Set the tenant's budget to ${amount} ${per}`,
      );
      return;
    }
    const target = this.targetByName(action.agent);
    if (!target) return;
    const preview = `Set agent ${targetLabel(target)}'s budget to ${amount} ${per}`;
    if (target.kind === 'created') {
      this.step('GovernanceService', 'SetBudget', { scope: 'AGENT', period, ...limits }, preview, [
        idInput('agentId', target.created),
      ]);
    } else {
      this.step(
        'GovernanceService',
        'SetBudget',
        { scope: 'AGENT', agentId: target.planned.agent.id, period, ...limits },
        preview,
      );
    }
  }

  private role(assign: boolean, principalName: string, roleName: string): void {
    if (SELF.includes(foldName(principalName.trim()))) {
      this.notes.push(
        `refused: ${assign ? 'assigning' : 'revoking'} a role of the person asking (a plan never changes its caller's own rights).`,
      );
      return;
    }
    const principal = this.ask(
      matchEntry(
        principalName.replace(/^(user|service):/i, ''),
        this.directory.principals(),
        'user or service account',
      ),
    );
    const role = this.ask(matchRole(roleName, this.directory.roles()));
    if (!principal || !role) return;
    const subject = `${principal.kind === 'USER' ? 'user' : 'service'}:${principal.id}`;
    const who = `${principal.kind === 'USER' ? 'user' : 'service account'} ${principal.name} (${shortId(principal.id)})`;
    this.step(
      'GovernanceService',
      assign ? 'AssignRole' : 'RevokeRole',
      { subject, role },
      assign ? `Assign the role ${role} to ${who}` : `Revoke the role ${role} from ${who}`,
    );
  }

  private decideApproval(action: Extract<DraftAction, { action: 'decide_approval' }>): void {
    if (!isUuid(action.approval)) {
      this.questions.push({
        text: `Approvals are named by their full id; "${action.approval}" is not one. Which approval?`,
        options: [],
      });
      return;
    }
    const request = {
      id: action.approval,
      approve: action.approve,
      ...(action.reason ? { reason: action.reason } : {}),
    };
    const reason = action.reason ? ` (reason: ${action.reason})` : '';
    this.step(
      'GovernanceService',
      'DecideApproval',
      request,
      `${action.approve ? 'Approve' : 'Reject'} approval ${shortId(action.approval)}${reason}`,
    );
  }

  // ---- reads ----

  private listAgents(selector: AgentSelector | undefined): void {
    const terms: string[] = [];
    if (selector?.state) terms.push(`state = ${selector.state}`);
    if (selector?.capability) {
      const known = this.agents
        .flatMap((a) => a.capabilities)
        .find((c) => foldName(c) === foldName(selector.capability!));
      terms.push(`capability = ${quote(known ?? selector.capability)}`);
    }
    if (selector?.name) terms.push(`name = ${quote(selector.name)}`);
    if (selector?.label) terms.push(`labels.${selector.label.key} = ${quote(selector.label.value)}`);
    const filter = terms.join(' AND ');
    this.step(
      'AgentService',
      'ListAgents',
      filter ? { filter } : {},
      filter ? `List agents where ${filter}` : 'List agents',
    );
  }

  private readAgent(name: string, onTarget: (target: Target, label: string) => void): void {
    const target = this.targetByName(name);
    if (target) onTarget(target, targetLabel(target));
  }

  private activity(name: string, since: string | undefined): void {
    const range = activityRange(since, this.options.now);
    if (range === undefined) {
      this.questions.push({
        text: `Since when? ("${since}" is not today, yesterday, this week or an ISO 8601 time)`,
        options: ['today', 'yesterday', 'this week'],
      });
      return;
    }
    this.readAgent(name, (target, label) => {
      const preview = `Show what agent ${label} did${range.description}`;
      if (target.kind === 'created') {
        this.step('AuditService', 'ListEvents', { ...range.request }, preview, [idInput('actorId', target.created)]);
      } else {
        this.step('AuditService', 'ListEvents', { actorId: target.planned.agent.id, ...range.request }, preview);
      }
    });
  }

  private listTasks(state: string | undefined, agent: string | undefined): void {
    const terms: string[] = state ? [`state = ${state}`] : [];
    let label = '';
    if (agent !== undefined) {
      const target = this.targetByName(agent);
      if (!target) return;
      if (target.kind === 'created') {
        this.notes.push(`${target.created.name} is created by this plan: it has no tasks yet.`);
        return;
      }
      terms.push(`agent_id = ${quote(target.planned.agent.id)}`);
      label = ` of agent ${targetLabel(target)}`;
    }
    const filter = terms.join(' AND ');
    this.step('TaskService', 'ListTasks', filter ? { filter } : {}, `List${state ? ` ${state}` : ''} tasks${label}`);
  }

  private showSpend(period: 'DAY' | 'WEEK' | 'MONTH', agent: string | undefined): void {
    if (period === 'WEEK')
      this.notes.push("Spend is kept per budget period (daily or monthly); the budget shows its current period's use.");
    if (agent === undefined) {
      this.step('GovernanceService', 'GetBudget', { scope: 'TENANT' }, "Show the tenant's budget and what it has used");
      return;
    }
    this.readAgent(agent, (target, label) => {
      const preview = `Show agent ${label}'s budget and what it has used`;
      if (target.kind === 'created') {
        this.step('GovernanceService', 'GetBudget', { scope: 'AGENT' }, preview, [idInput('agentId', target.created)]);
      } else {
        this.step('GovernanceService', 'GetBudget', { scope: 'AGENT', agentId: target.planned.agent.id }, preview);
      }
    });
  }
}

function idInput(field: string, created: CreatedAgent): ResolvedInput {
  return { field, fromStep: created.step, fromField: 'id' };
}

function targetName(target: Target): string {
  return target.kind === 'created' ? target.created.name : target.planned.agent.name;
}

function targetLabel(target: Target): string {
  return target.kind === 'created'
    ? `${target.created.name} (created above)`
    : `${target.planned.agent.name} (${shortId(target.planned.agent.id)})`;
}

function labelMatches(labels: Readonly<Record<string, string>>, wanted: { key: string; value: string }): boolean {
  return Object.entries(labels).some(
    ([k, v]) => foldName(k) === foldName(wanted.key) && foldName(v) === foldName(wanted.value),
  );
}

function editList(current: readonly string[], add: readonly string[] = [], remove: readonly string[] = []): string[] {
  const removed = new Set(remove.map((r) => foldName(r)));
  const next = current.filter((c) => !removed.has(foldName(c)));
  for (const a of add) if (!next.some((c) => foldName(c) === foldName(a))) next.push(a);
  return next;
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(', ');
}

function formatMoney(micros: number): string {
  return `$${(micros / 1_000_000).toFixed(2)}`;
}

/** A filter value as the ListAgents/ListTasks filter grammar quotes it. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function describeSelector(s: AgentSelector): string {
  const parts: string[] = [];
  if (s.name) parts.push(`called ${s.name}`);
  if (s.state) parts.push(s.state);
  if (s.capability) parts.push(`with the capability ${s.capability}`);
  if (s.label) parts.push(`labelled ${s.label.key}=${s.label.value}`);
  return parts.join(', ') || 'in the tenant';
}
