import { EnforceContext, Enforcer, newModelFromString, type RoleManager } from 'casbin';

/**
 * The casbin model: RBAC with tenants as domains, allow and deny rules, deny
 * wins. Permissions and resources match with keyMatch: a pattern may end in
 * `*` (`agents.*`, `tools/*`) and `*` alone matches everything.
 *
 * `p` holds every policy line of the tenant (role permissions and rules).
 * `p2` has the same shape and matcher but holds, for one decision only, the
 * lines whose subject the requester can reach (itself and its roles): casbin
 * evaluates its matcher line by line (~1.5 µs each), so scanning the 1000
 * lines of a busy tenant would cost ~1.5 ms, while the requester's own lines
 * are a handful. The effect `e` is shared: its text selects casbin's
 * deny-override effector, whatever the policy type. The last field `id` names
 * the rule (`rule:<id>`) or role (`role:<name>`) a line comes from, which is
 * how a decision is explained.
 */
export const ACCESS_MODEL_CONF = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act, eft, id
p2 = sub, dom, obj, act, eft, id

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = keyMatch(r.act, p.act) && keyMatch(r.obj, p.obj) && r.dom == p.dom && g(r.sub, p.sub, r.dom)
m2 = keyMatch(r.act, p2.act) && keyMatch(r.obj, p2.obj) && r.dom == p2.dom && g(r.sub, p2.sub, r.dom)
`;

/** `[sub, dom, obj, act, eft, id]` */
export type PolicyLine = [sub: string, dom: string, obj: string, act: string, eft: 'allow' | 'deny', id: string];

/** casbin's default role manager caps inheritance at 10 levels; so do we. */
const MAX_ROLE_DEPTH = 10;
const DEFAULT_DOMAIN = '';

/**
 * Role links (`g` lines) kept in plain maps with synchronous updates. casbin's
 * RoleManager interface is async (adapters may do I/O); the projection must
 * change the links before apply() returns, so that a revoked binding grants
 * nothing from that moment. casbin's g() reads them through syncedHasLink.
 */
export class RoleLinks implements RoleManager {
  private readonly links = new Map<string, Map<string, Set<string>>>();

  link(name1: string, name2: string, domain = DEFAULT_DOMAIN): void {
    let byName = this.links.get(domain);
    if (!byName) this.links.set(domain, (byName = new Map()));
    let targets = byName.get(name1);
    if (!targets) byName.set(name1, (targets = new Set()));
    targets.add(name2);
  }

  unlink(name1: string, name2: string, domain = DEFAULT_DOMAIN): void {
    const targets = this.links.get(domain)?.get(name1);
    if (!targets) return;
    targets.delete(name2);
    if (targets.size === 0) this.links.get(domain)!.delete(name1);
  }

  /** Direct links of `name` in `domain`. */
  direct(name: string, domain = DEFAULT_DOMAIN): ReadonlySet<string> | undefined {
    return this.links.get(domain)?.get(name);
  }

  /**
   * Every name `name` reaches (itself included), each mapped to the first hop
   * that led to it (undefined for `name` itself), breadth first so the
   * shortest path wins.
   */
  reachable(name: string, domain = DEFAULT_DOMAIN): Map<string, string | undefined> {
    const reached = new Map<string, string | undefined>([[name, undefined]]);
    const byName = this.links.get(domain);
    if (!byName) return reached;
    let frontier: string[] = [name];
    for (let depth = 0; depth < MAX_ROLE_DEPTH && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const node of frontier) {
        for (const target of byName.get(node) ?? []) {
          if (reached.has(target)) continue;
          reached.set(target, depth === 0 ? target : reached.get(node));
          next.push(target);
        }
      }
      frontier = next;
    }
    return reached;
  }

  syncedHasLink(name1: string, name2: string, ...domain: string[]): boolean {
    return name1 === name2 || this.reachable(name1, domain[0] ?? DEFAULT_DOMAIN).has(name2);
  }

  async hasLink(name1: string, name2: string, ...domain: string[]): Promise<boolean> {
    return this.syncedHasLink(name1, name2, ...domain);
  }

  async addLink(name1: string, name2: string, ...domain: string[]): Promise<void> {
    this.link(name1, name2, domain[0]);
  }

  async deleteLink(name1: string, name2: string, ...domain: string[]): Promise<void> {
    this.unlink(name1, name2, domain[0]);
  }

  async clear(): Promise<void> {
    this.links.clear();
  }

  async getRoles(name: string, ...domain: string[]): Promise<string[]> {
    return [...(this.direct(name, domain[0]) ?? [])];
  }

  async getUsers(name: string, ...domain: string[]): Promise<string[]> {
    const users: string[] = [];
    for (const [user, targets] of this.links.get(domain[0] ?? DEFAULT_DOMAIN) ?? [])
      if (targets.has(name)) users.push(user);
    return users;
  }

  async printRoles(): Promise<void> {}

  async getDomains(name: string): Promise<string[]> {
    return [...this.links].filter(([, byName]) => byName.has(name)).map(([domain]) => domain);
  }

  async getAllDomains(): Promise<string[]> {
    return [...this.links.keys()];
  }
}

export interface EnforcerDecision {
  allowed: boolean;
  /** The line that decided: the deny that matched, or the last allow that matched; undefined when none did. */
  line?: PolicyLine;
  /** For the deciding line's subject: the first role the requester reached it through (undefined: the requester itself). */
  via?: string;
}

const CANDIDATES_CONTEXT = new EnforceContext('r', 'p2', 'e', 'm2');

/**
 * One tenant's casbin enforcer, changed line by line as events arrive. The
 * model's own policy methods are synchronous (the async Enforcer methods
 * only add adapter and watcher calls, neither of which a projection has),
 * which keeps AccessModel.apply() synchronous.
 */
export class TenantEnforcer {
  readonly enforcer: Enforcer;
  readonly links = new RoleLinks();
  /** The tenant's policy lines by subject: plain ones, and allows that need an approval. */
  private readonly plainLines = new Map<string, PolicyLine[]>();
  private readonly approvalLines = new Map<string, PolicyLine[]>();

  constructor(readonly tenantId: string) {
    const model = newModelFromString(ACCESS_MODEL_CONF);
    this.enforcer = new Enforcer();
    // No adapter: initialisation only installs the model, synchronously.
    void this.enforcer.initWithModelAndAdapter(model);
    if (this.enforcer.getModel() !== model)
      throw new Error('casbin enforcer initialisation did not complete synchronously');
    this.enforcer.setRoleManager(this.links);
    this.assertion('g', 'g').rm = this.links;
  }

  private assertion(sec: 'p' | 'g', key: string) {
    const assertion = this.enforcer.getModel().model.get(sec)?.get(key);
    if (!assertion) throw new Error(`casbin model has no ${sec}.${key}`);
    return assertion;
  }

  addLine(line: PolicyLine, requiresApproval = false): void {
    if (!this.enforcer.getModel().addPolicy('p', 'p', line)) return;
    const index = requiresApproval && line[4] === 'allow' ? this.approvalLines : this.plainLines;
    const lines = index.get(line[0]);
    if (lines) lines.push(line);
    else index.set(line[0], [line]);
  }

  removeLine(line: PolicyLine): void {
    if (!this.enforcer.getModel().removePolicy('p', 'p', line)) return;
    for (const index of [this.plainLines, this.approvalLines]) {
      const lines = index.get(line[0]);
      if (!lines) continue;
      const kept = lines.filter((l) => !l.every((field, i) => field === line[i]));
      if (kept.length === 0) index.delete(line[0]);
      else index.set(line[0], kept);
    }
  }

  /** `g, <subject>, <role subject>, <tenant>` */
  addLink(subject: string, roleSubject: string): void {
    if (this.enforcer.getModel().addPolicy('g', 'g', [subject, roleSubject, this.tenantId]))
      this.links.link(subject, roleSubject, this.tenantId);
  }

  removeLink(subject: string, roleSubject: string): void {
    if (this.enforcer.getModel().removePolicy('g', 'g', [subject, roleSubject, this.tenantId]))
      this.links.unlink(subject, roleSubject, this.tenantId);
  }

  /**
   * Decides with casbin over the lines of the subjects `subject` reaches.
   * Approval-requiring allows go last: the deny-override effector reports the
   * last allow that matched, so when one of them matches, it is the one reported.
   */
  decide(subject: string, resource: string, action: string): EnforcerDecision {
    const reached = this.links.reachable(subject, this.tenantId);
    const candidates: PolicyLine[] = [];
    for (const index of [this.plainLines, this.approvalLines]) {
      for (const node of reached.keys()) {
        const lines = index.get(node);
        if (lines) for (const line of lines) candidates.push(line);
      }
    }
    const scratch = this.assertion('p', 'p2');
    scratch.policy = candidates;
    try {
      const [allowed, explain] = this.enforcer.enforceExSync(
        CANDIDATES_CONTEXT,
        subject,
        this.tenantId,
        resource,
        action,
      );
      const line = explain.length > 0 ? (explain as PolicyLine) : undefined;
      return line ? { allowed, line, via: reached.get(line[0]) } : { allowed };
    } finally {
      scratch.policy = [];
    }
  }

  /** casbin over every line of the tenant (the plain model `m`), for tests and benchmarks comparing with decide(). */
  decideOverAllLines(subject: string, resource: string, action: string): boolean {
    return this.enforcer.enforceSync(subject, this.tenantId, resource, action);
  }
}
