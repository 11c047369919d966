import { VerificationGate } from './verification-gate';
import { GovernanceCategories, parseGovernanceEvent, type GovernanceEvent } from '@aos/contracts';
import { UnauthenticatedError } from '@aos/errors';
import { ProjectionError, type RecordedEvent } from '@aos/event-store';
import { parseApiKey, verifyApiKeyHash } from './api-key';
import { BUILT_IN_ROLE_NAMES, BUILT_IN_ROLES, isBuiltInRole, isSystemPermission } from '@aos/domain';
import { TenantEnforcer, type PolicyLine } from './casbin-model';
import type { AccessCheck, Identity } from './identity';
import { VerifiedKeyCache } from './verified-key-cache';
import type { ApiKeyView, BindingView, PrincipalView, RoleView, RuleView, TenantView } from './access-model.views';

/** Thrown by apply() for a governance event it cannot apply (bad data); the event is skipped. */
export class AccessModelError extends ProjectionError {
  override name = 'AccessModelError';
}

/** The governance categories the access model is built from. */
export const ACCESS_MODEL_CATEGORIES = [
  GovernanceCategories.tenant,
  GovernanceCategories.principal,
  GovernanceCategories.policy,
] as const;

interface KeyRecord {
  readonly tenantId: string;
  readonly id: string;
  readonly principalId: string;
  readonly prefix: string;
  readonly hash: string;
  readonly description: string;
  readonly createTime: string;
  readonly createdBy: string;
  readonly expireTime: string | undefined;
  revokeTime: string | undefined;
  logPosition: number;
}

interface TenantState {
  readonly tenantId: string;
  /** Set by TenantCreated; other streams of the tenant may be delivered before it (one subscription per category). */
  view: TenantView | undefined;
  readonly principals: Map<string, PrincipalView>;
  readonly principalIdsByName: Map<string, string>;
  readonly principalIdsByOidcSubject: Map<string, string>;
  readonly keys: Map<string, KeyRecord>;
  /** Custom roles; built-in ones are code. */
  readonly roles: Map<string, RoleView>;
  readonly bindings: Map<string, BindingView>;
  /** subject → role → ids of the bindings granting it, oldest first. */
  readonly bindingIdsBySubject: Map<string, Map<string, Set<string>>>;
  readonly rules: Map<string, RuleView>;
  policyRevision: number | undefined;
  readonly enforcer: TenantEnforcer;
}

const TRACKED_CATEGORIES: ReadonlySet<string> = new Set(ACCESS_MODEL_CATEGORIES);
/** check()'s answers kept per tenant by default (see AccessModel.decisions). */
const REMEMBERED_DECISIONS = 10_000;
const ROLE_SUBJECT_PREFIX = 'role:';
const RULE_ID_PREFIX = 'rule:';

const roleSubject = (role: string) => `${ROLE_SUBJECT_PREFIX}${role}`;
const roleOfSubject = (subject: string) =>
  subject.startsWith(ROLE_SUBJECT_PREFIX) ? subject.slice(ROLE_SUBJECT_PREFIX.length) : undefined;
const actorName = (event: RecordedEvent) => `${event.metadata.actor.kind}:${event.metadata.actor.id}`;

function roleLines(tenantId: string, role: string, permissions: readonly string[]): PolicyLine[] {
  return [...new Set(permissions)].map((permission) => [
    roleSubject(role),
    tenantId,
    '*',
    permission,
    'allow',
    roleSubject(role),
  ]);
}

function ruleLine(rule: RuleView): PolicyLine {
  return [
    rule.subject,
    rule.tenantId,
    rule.resource,
    rule.action,
    rule.effect === 'DENY' ? 'deny' : 'allow',
    `${RULE_ID_PREFIX}${rule.id}`,
  ];
}

/**
 * The access projection: tenants, principals, API keys, roles, bindings and
 * policy rules, built only from the tenant, principal and policy streams of
 * the log, applied in log order per category. Each tenant has one casbin
 * enforcer, changed line by line as events arrive (never rebuilt), so a
 * change is effective as soon as apply() returns.
 */
export class AccessModel {
  private readonly tenantStates = new Map<string, TenantState>();
  private readonly keysByPrefix = new Map<string, KeyRecord[]>();
  private readonly verifiedKeys = new VerifiedKeyCache<KeyRecord>();
  /** Verifications in flight, so concurrent first requests with one key hash it once. */
  private readonly verifying = new Map<string, Promise<KeyRecord | undefined>>();
  /** Bounds concurrent scrypt verifications (see VerificationGate). */
  private readonly verificationGate = new VerificationGate();
  private readonly positionByCategory = new Map<string, number>();
  private _position = 0;
  /**
   * check()'s answers per tenant, by subject, action and resource: a decision
   * depends on the tenant's state alone, so it is remembered until the next
   * event of that tenant (every gateway call asks, mostly the same questions).
   */
  private readonly decisions = new Map<string, Map<string, Readonly<AccessCheck>>>();

  /** `rememberedDecisions`: answers kept per tenant (0 decides every call afresh). */
  constructor(private readonly options: { rememberedDecisions?: number } = {}) {}

  /** The highest log position applied (categories are delivered independently). */
  get position(): number {
    return this._position;
  }

  /** Applies one event; other categories and event types are ignored, as is an event at or before the category's last position. */
  apply(event: RecordedEvent): void {
    if (!TRACKED_CATEGORIES.has(event.category)) return;
    if (event.position <= (this.positionByCategory.get(event.category) ?? 0)) return;
    this.positionByCategory.set(event.category, event.position);
    this._position = Math.max(this._position, event.position);
    // Whatever the event changes (even half, if it cannot be applied), the tenant's answers are
    // asked afresh; so are those of any tenant the event reaches (tenantState drops them).
    this.decisions.delete(event.metadata.tenantId);
    let parsed: GovernanceEvent | undefined;
    try {
      parsed = parseGovernanceEvent(event.type, event.data);
    } catch (error) {
      throw new AccessModelError(event, 'data does not match its schema', { cause: error });
    }
    if (parsed) this.evolve(parsed, event);
  }

  private evolve(parsed: GovernanceEvent, event: RecordedEvent): void {
    const tenantId = event.metadata.tenantId;
    switch (parsed.type) {
      case 'TenantCreated': {
        const state = this.tenantState(parsed.data.tenantId);
        state.view ??= {
          id: parsed.data.tenantId,
          displayName: parsed.data.displayName,
          createTime: event.time,
          createdBy: actorName(event),
          revision: event.revision,
          logPosition: event.position,
        };
        return;
      }
      case 'PrincipalCreated': {
        const state = this.tenantState(tenantId);
        const { principalId, kind, name, oidcSubject, systemAdmin } = parsed.data;
        if (state.principals.has(principalId)) return;
        state.principals.set(principalId, {
          id: principalId,
          tenantId,
          kind,
          name,
          oidcSubject,
          subject: `${kind === 'USER' ? 'user' : 'service'}:${principalId}`,
          systemAdmin,
          createTime: event.time,
          createdBy: actorName(event),
          revision: event.revision,
          logPosition: event.position,
        });
        state.principalIdsByName.set(name, principalId);
        if (oidcSubject) state.principalIdsByOidcSubject.set(oidcSubject, principalId);
        return;
      }
      case 'ApiKeyCreated': {
        const state = this.tenantState(tenantId);
        this.touchPrincipal(state, parsed.data.principalId, event);
        const { keyId, principalId, prefix, hash, description, expireTime } = parsed.data;
        if (state.keys.has(keyId)) return;
        const key: KeyRecord = {
          tenantId,
          id: keyId,
          principalId,
          prefix,
          hash,
          description,
          createTime: event.time,
          createdBy: actorName(event),
          expireTime: expireTime ?? undefined,
          revokeTime: undefined,
          logPosition: event.position,
        };
        state.keys.set(keyId, key);
        // Prefixes are random, not unique: a collision keeps both keys, and verification tells them apart.
        const sharing = this.keysByPrefix.get(prefix);
        if (sharing) sharing.push(key);
        else this.keysByPrefix.set(prefix, [key]);
        return;
      }
      case 'ApiKeyRevoked': {
        const state = this.tenantState(tenantId);
        this.touchPrincipal(state, parsed.data.principalId, event);
        const key = state.keys.get(parsed.data.keyId);
        if (key && key.revokeTime === undefined) {
          key.revokeTime = event.time;
          key.logPosition = event.position;
        }
        return;
      }
      case 'RoleDefined': {
        const state = this.tenantState(tenantId);
        state.policyRevision = event.revision;
        const { role, permissions, description } = parsed.data;
        // The decider refuses built-in names; a stray event must not shadow a built-in role.
        if (isBuiltInRole(role)) return;
        const previous = state.roles.get(role);
        if (previous)
          for (const line of roleLines(tenantId, role, previous.permissions)) state.enforcer.removeLine(line);
        for (const line of roleLines(tenantId, role, permissions)) state.enforcer.addLine(line);
        state.roles.set(role, {
          name: role,
          permissions: [...permissions],
          builtIn: false,
          description,
          createTime: previous?.createTime ?? event.time,
          createdBy: previous?.createdBy ?? actorName(event),
          revision: event.revision,
          logPosition: event.position,
        });
        return;
      }
      case 'RoleAssigned': {
        const state = this.tenantState(tenantId);
        state.policyRevision = event.revision;
        const { bindingId, subject, role } = parsed.data;
        if (state.bindings.has(bindingId)) return;
        state.bindings.set(bindingId, {
          id: bindingId,
          tenantId,
          subject,
          role,
          createTime: event.time,
          createdBy: actorName(event),
          revision: event.revision,
          logPosition: event.position,
        });
        let byRole = state.bindingIdsBySubject.get(subject);
        if (!byRole) state.bindingIdsBySubject.set(subject, (byRole = new Map()));
        let ids = byRole.get(role);
        if (!ids) byRole.set(role, (ids = new Set()));
        ids.add(bindingId);
        state.enforcer.addLink(subject, roleSubject(role));
        return;
      }
      case 'RoleRevoked': {
        const state = this.tenantState(tenantId);
        state.policyRevision = event.revision;
        const binding = state.bindings.get(parsed.data.bindingId);
        if (!binding) return;
        state.bindings.delete(binding.id);
        const byRole = state.bindingIdsBySubject.get(binding.subject);
        const ids = byRole?.get(binding.role);
        ids?.delete(binding.id);
        // Two bindings may grant the same role; the casbin link goes with the last of them.
        if (ids && ids.size === 0) {
          byRole!.delete(binding.role);
          if (byRole!.size === 0) state.bindingIdsBySubject.delete(binding.subject);
          state.enforcer.removeLink(binding.subject, roleSubject(binding.role));
        }
        return;
      }
      case 'PolicyRuleAdded': {
        const state = this.tenantState(tenantId);
        state.policyRevision = event.revision;
        const { ruleId, subject, action, resource, effect, requiresApproval } = parsed.data;
        if (state.rules.has(ruleId)) return;
        const rule: RuleView = {
          id: ruleId,
          tenantId,
          subject,
          action,
          resource,
          effect,
          requiresApproval,
          createTime: event.time,
          createdBy: actorName(event),
          revision: event.revision,
          logPosition: event.position,
        };
        state.rules.set(ruleId, rule);
        state.enforcer.addLine(ruleLine(rule), requiresApproval);
        return;
      }
      case 'PolicyRuleRemoved': {
        const state = this.tenantState(tenantId);
        state.policyRevision = event.revision;
        const rule = state.rules.get(parsed.data.ruleId);
        if (!rule) return;
        state.rules.delete(rule.id);
        state.enforcer.removeLine(ruleLine(rule));
        return;
      }
      case 'ApprovalRequested':
      case 'ApprovalGranted':
      case 'ApprovalRejected':
      case 'ApprovalExpired':
      case 'ApprovalWithdrawn':
      case 'BudgetSet':
      case 'UsageRecorded':
        // Approvals and budgets live in their own categories, which this model does not follow.
        return;
      default: {
        const unhandled: never = parsed;
        throw new AccessModelError(event, `unhandled event ${(unhandled as GovernanceEvent).type}`);
      }
    }
  }

  /** The tenant's state, to change it: its remembered answers are dropped first. */
  private tenantState(tenantId: string): TenantState {
    this.decisions.delete(tenantId);
    let state = this.tenantStates.get(tenantId);
    if (state) return state;
    state = {
      tenantId,
      view: undefined,
      principals: new Map(),
      principalIdsByName: new Map(),
      principalIdsByOidcSubject: new Map(),
      keys: new Map(),
      roles: new Map(),
      bindings: new Map(),
      bindingIdsBySubject: new Map(),
      rules: new Map(),
      policyRevision: undefined,
      enforcer: new TenantEnforcer(tenantId),
    };
    for (const role of BUILT_IN_ROLE_NAMES) {
      for (const line of roleLines(tenantId, role, BUILT_IN_ROLES[role].permissions)) state.enforcer.addLine(line);
    }
    this.tenantStates.set(tenantId, state);
    return state;
  }

  /** Key events live in their principal's stream: they advance its revision. */
  private touchPrincipal(state: TenantState, principalId: string, event: RecordedEvent): void {
    const principal = state.principals.get(principalId);
    if (principal)
      state.principals.set(principalId, { ...principal, revision: event.revision, logPosition: event.position });
  }

  private existingTenant(tenantId: string): TenantState | undefined {
    const state = this.tenantStates.get(tenantId);
    return state?.view ? state : undefined;
  }

  /**
   * The identity behind an API key. The scrypt check runs once per key (then
   * cached by SHA-256 of the key); revocation, expiry and the principal are
   * checked against the projection on every call. Errors never echo the key.
   */
  async authenticateApiKey(presented: string, now: Date = new Date()): Promise<Identity> {
    const parsed = parseApiKey(presented);
    if (!parsed) throw new UnauthenticatedError('malformed API key');
    const digest = VerifiedKeyCache.digest(presented);
    let key = this.verifiedKeys.get(digest);
    if (!key) {
      let pending = this.verifying.get(digest);
      if (!pending) {
        pending = this.verify(presented, parsed.prefix).finally(() => this.verifying.delete(digest));
        this.verifying.set(digest, pending);
      }
      key = await pending;
      if (!key) throw new UnauthenticatedError('invalid API key');
      this.verifiedKeys.set(digest, key);
    }
    if (key.revokeTime !== undefined) throw new UnauthenticatedError('API key revoked');
    if (key.expireTime !== undefined && Date.parse(key.expireTime) < now.getTime())
      throw new UnauthenticatedError('API key expired');
    const state = this.existingTenant(key.tenantId);
    if (!state) throw new UnauthenticatedError("API key's tenant does not exist");
    const principal = state.principals.get(key.principalId);
    if (!principal) throw new UnauthenticatedError("API key's principal does not exist");
    return { ...this.principalIdentity(state, principal, 'api_key'), keyId: key.id };
  }

  private async verify(presented: string, prefix: string): Promise<KeyRecord | undefined> {
    const candidates = [...(this.keysByPrefix.get(prefix) ?? [])];
    // An unknown prefix costs nothing; only real candidates pay for scrypt, through the gate.
    if (candidates.length === 0) return undefined;
    return this.verificationGate.run(async () => {
      for (const candidate of candidates) {
        if (await verifyApiKeyHash(presented, candidate.hash)) return candidate;
      }
      return undefined;
    });
  }

  private principalIdentity(
    state: TenantState,
    principal: PrincipalView,
    authentication: Identity['authentication'],
  ): Identity {
    return {
      tenantId: state.tenantId,
      subject: principal.subject,
      principalId: principal.id,
      actor: { kind: principal.kind === 'USER' ? 'user' : 'service', id: principal.id },
      roles: this.rolesOf(state.tenantId, principal.subject),
      systemAdmin: principal.systemAdmin,
      authentication,
    };
  }

  /**
   * The identity of a principal's subject (`user:<id>` or `service:<id>`), for
   * an OIDC caller mapped to a principal (hence `authentication: 'oidc'`) and
   * for CheckAccess about someone else. Undefined for any other subject.
   */
  identityForSubject(tenantId: string, subject: string): Identity | undefined {
    const state = this.existingTenant(tenantId);
    const separator = subject.indexOf(':');
    if (!state || separator < 0) return undefined;
    const principal = state.principals.get(subject.slice(separator + 1));
    if (!principal || principal.subject !== subject) return undefined;
    return this.principalIdentity(state, principal, 'oidc');
  }

  /**
   * Whether `subject` may do `action` on `resource` (default `*`) in the
   * tenant, decided by the tenant's casbin enforcer, with the binding and rule
   * that decided. `system.*` actions are always denied here: system
   * administrators are recognised by the caller through Identity.systemAdmin.
   */
  check(tenantId: string, subject: string, action: string, resource?: string): AccessCheck {
    const target = resource || '*';
    const limit = this.options.rememberedDecisions ?? REMEMBERED_DECISIONS;
    if (limit <= 0) return this.decide(tenantId, subject, action, target);
    const key = `${subject}\u0000${action}\u0000${target}`;
    let known = this.decisions.get(tenantId);
    const remembered = known?.get(key);
    if (remembered) return { ...remembered };
    const decided = Object.freeze(this.decide(tenantId, subject, action, target));
    if (!known) this.decisions.set(tenantId, (known = new Map()));
    // Bounded: a tenant asked many distinct questions starts again rather than grow without end.
    if (known.size >= limit) known.clear();
    known.set(key, decided);
    return { ...decided };
  }

  private decide(tenantId: string, subject: string, action: string, target: string): AccessCheck {
    const state = this.existingTenant(tenantId);
    if (!state) return { decision: 'DENIED', explanation: `denied: tenant ${JSON.stringify(tenantId)} does not exist` };
    if (isSystemPermission(action)) {
      return {
        decision: 'DENIED',
        explanation: `denied: ${action} is a system permission, held only by system administrators`,
      };
    }
    const decision = state.enforcer.decide(subject, target, action);
    if (!decision.line)
      return { decision: 'DENIED', explanation: `denied: no role or rule grants ${subject} ${action} on ${target}` };

    const [lineSubject, , lineResource, lineAction, , lineId] = decision.line;
    const ruleId = lineId.startsWith(RULE_ID_PREFIX) ? lineId.slice(RULE_ID_PREFIX.length) : undefined;
    const rule = ruleId === undefined ? undefined : state.rules.get(ruleId);
    const matchedRole = roleOfSubject(lineSubject);
    const viaRole = decision.via === undefined ? undefined : roleOfSubject(decision.via);
    const matchedBindingId = viaRole === undefined ? undefined : this.firstBindingId(state, subject, viaRole);
    const path =
      viaRole === undefined
        ? ''
        : `${subject} has role ${viaRole} (binding ${matchedBindingId})${matchedRole !== undefined && matchedRole !== viaRole ? `, which inherits role ${matchedRole}` : ''}`;
    const matched: Omit<AccessCheck, 'decision' | 'explanation'> = {
      ...(matchedBindingId !== undefined && { matchedBindingId }),
      ...(ruleId !== undefined && { matchedRuleId: ruleId }),
      ...(matchedRole !== undefined && { matchedRole }),
      matchedPermission: lineAction,
    };

    if (!decision.allowed) {
      return {
        decision: 'DENIED',
        explanation: `denied: rule ${ruleId} denies ${lineSubject} ${lineAction} on ${lineResource}${path && `; ${path}`}`,
        ...matched,
      };
    }
    if (rule?.requiresApproval) {
      return {
        decision: 'APPROVAL_REQUIRED',
        explanation: `approval required: rule ${ruleId} allows ${lineSubject} ${lineAction} on ${lineResource} only with a person's approval${path && `; ${path}`}`,
        ...matched,
      };
    }
    const explanation =
      ruleId === undefined
        ? `allowed: ${path ? `${path}, whose` : `${lineSubject}'s`} permission ${lineAction} matches ${action}`
        : `allowed: rule ${ruleId} allows ${lineSubject} ${lineAction} on ${lineResource}${path && `; ${path}`}`;
    return { decision: 'ALLOWED', explanation, ...matched };
  }

  private firstBindingId(state: TenantState, subject: string, role: string): string | undefined {
    const ids = state.bindingIdsBySubject.get(subject)?.get(role);
    return ids ? ids.values().next().value : undefined;
  }

  /** Names of the roles bound directly to `subject` in the tenant, sorted. */
  rolesOf(tenantId: string, subject: string): string[] {
    return [...(this.tenantStates.get(tenantId)?.bindingIdsBySubject.get(subject)?.keys() ?? [])].sort();
  }

  tenantExists(tenantId: string): boolean {
    return this.existingTenant(tenantId) !== undefined;
  }

  /** Revision of the tenant's policy-<tenantId> stream (roles, bindings, rules); undefined while it has none. */
  policyRevision(tenantId: string): number | undefined {
    return this.tenantStates.get(tenantId)?.policyRevision;
  }

  // Read models. Every view returned is a copy.

  /** Tenants in creation order. */
  tenants(): TenantView[] {
    return [...this.tenantStates.values()]
      .flatMap((state) => (state.view ? [{ ...state.view }] : []))
      .sort((a, b) => a.logPosition - b.logPosition);
  }

  principal(tenantId: string, id: string): PrincipalView | undefined {
    const principal = this.tenantStates.get(tenantId)?.principals.get(id);
    return principal && { ...principal };
  }

  /** Principals in creation order. */
  principals(tenantId: string): PrincipalView[] {
    return [...(this.tenantStates.get(tenantId)?.principals.values() ?? [])].map((p) => ({ ...p }));
  }

  principalByName(tenantId: string, name: string): PrincipalView | undefined {
    const state = this.tenantStates.get(tenantId);
    const id = state?.principalIdsByName.get(name);
    return id === undefined ? undefined : this.principal(tenantId, id);
  }

  principalByOidcSubject(tenantId: string, oidcSubject: string): PrincipalView | undefined {
    const state = this.tenantStates.get(tenantId);
    const id = oidcSubject ? state?.principalIdsByOidcSubject.get(oidcSubject) : undefined;
    return id === undefined ? undefined : this.principal(tenantId, id);
  }

  /** The tenant's keys (or one principal's), in creation order, with their state as of `now`. */
  apiKeys(tenantId: string, principalId?: string, now: Date = new Date()): ApiKeyView[] {
    return [...(this.tenantStates.get(tenantId)?.keys.values() ?? [])]
      .filter((key) => !principalId || key.principalId === principalId)
      .map((key) => keyView(key, now));
  }

  apiKey(tenantId: string, keyId: string, now: Date = new Date()): ApiKeyView | undefined {
    const key = this.tenantStates.get(tenantId)?.keys.get(keyId);
    return key && keyView(key, now);
  }

  /** Built-in roles, then custom roles by name; [] for an unknown tenant. */
  roles(tenantId: string): RoleView[] {
    const state = this.existingTenant(tenantId);
    if (!state) return [];
    const builtIn: RoleView[] = BUILT_IN_ROLE_NAMES.map((name) => ({
      name,
      permissions: [...BUILT_IN_ROLES[name].permissions],
      builtIn: true,
      description: BUILT_IN_ROLES[name].description,
    }));
    const custom = [...state.roles.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => ({ ...r, permissions: [...r.permissions] }));
    return [...builtIn, ...custom];
  }

  /** Bindings in creation order, optionally only those of `subject`. */
  bindings(tenantId: string, subject?: string): BindingView[] {
    return [...(this.tenantStates.get(tenantId)?.bindings.values() ?? [])]
      .filter((b) => !subject || b.subject === subject)
      .map((b) => ({ ...b }));
  }

  /** Rules in creation order, optionally only those naming `subject`. */
  rules(tenantId: string, subject?: string): RuleView[] {
    return [...(this.tenantStates.get(tenantId)?.rules.values() ?? [])]
      .filter((r) => !subject || r.subject === subject)
      .map((r) => ({ ...r }));
  }
}

function keyView(key: KeyRecord, now: Date): ApiKeyView {
  const state =
    key.revokeTime !== undefined
      ? 'API_KEY_REVOKED'
      : key.expireTime !== undefined && Date.parse(key.expireTime) < now.getTime()
        ? 'API_KEY_EXPIRED'
        : 'API_KEY_ACTIVE';
  return {
    id: key.id,
    tenantId: key.tenantId,
    principalId: key.principalId,
    prefix: key.prefix,
    description: key.description,
    state,
    createTime: key.createTime,
    ...(key.expireTime !== undefined && { expireTime: key.expireTime }),
    ...(key.revokeTime !== undefined && { revokeTime: key.revokeTime }),
    createdBy: key.createdBy,
    logPosition: key.logPosition,
  };
}
