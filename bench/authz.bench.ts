/**
 * Bench (c): authorization decisions. 100 tenants × 1,000 policy rules, fed
 * as events through AccessModel.apply, then AccessModel.check() on random
 * requests across tenants (allowed, denied and approval-required mixed),
 * beside raw casbin enforceSync measured in this run: on one enforcer holding
 * one tenant's lines (what "one enforcer per tenant" costs with casbin's
 * linear scan), on an enforcer holding only the requester's lines (the work
 * check() hands casbin), and on one enforcer holding every tenant's lines
 * (why per tenant). check() is measured deciding afresh (a question's first
 * asking) and answering a question asked before (the gateway remembers
 * answers per tenant until that tenant's next governance event).
 */
import { randomUUID } from 'node:crypto';
import { newEnforcer, newModelFromString, type Enforcer } from 'casbin';
import type { RecordedEvent } from '@aos/event-store';
import { AccessModel } from '../libs/access-control/src/access-model';
import { BUILT_IN_ROLE_NAMES, BUILT_IN_ROLES } from '@aos/domain';
import { ACCESS_MODEL_CONF, type PolicyLine } from '../libs/access-control/src/casbin-model';
import { formatTiming, timeSync, type Timing } from './measure';

const TENANTS = Number(process.env.AOS_BENCH_TENANTS ?? 100);
const RULES_PER_TENANT = Number(process.env.AOS_BENCH_RULES ?? 1_000);
const DECISIONS = Number(process.env.AOS_BENCH_DECISIONS ?? 100_000);
/** casbin scans every line per decision, so the raw baselines get fewer samples (printed). */
const RAW_TENANT_DECISIONS = Math.min(DECISIONS, 5_000);
const RAW_ALL_DECISIONS = Math.min(DECISIONS, 100);
const AGENTS_PER_TENANT = 100;
const USERS_PER_TENANT = 20;
const TARGET_P99_MS = 0.2;

const ACTIONS = ['tools.call', 'kb.read', 'context.read', 'context.write', 'tasks.submit'];
const RESOURCE_KINDS: Record<string, string> = {
  'tools.call': 'tools',
  'kb.read': 'kb',
  'context.read': 'context',
  'context.write': 'context',
  'tasks.submit': 'queues',
};
const ROLE_ACTIONS = ['agents.get', 'agents.pause', 'agents.create', 'audit.list', 'tasks.submit', 'keys.create'];
const RESOURCES_PER_KIND = 40;

// mulberry32: the same tenants, rules and requests on every run.
function prng(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

interface Request {
  tenantId: string;
  subject: string;
  action: string;
  resource: string;
}

interface Fixture {
  events: RecordedEvent[];
  /** Per tenant, the casbin lines the projection should hold (role permissions, rules) and its role links. */
  lines: Map<string, PolicyLine[]>;
  links: Map<string, [string, string][]>;
  requests: Request[];
}

function buildFixture(): Fixture {
  const random = prng(2025);
  const events: RecordedEvent[] = [];
  const lines = new Map<string, PolicyLine[]>();
  const links = new Map<string, [string, string][]>();
  const revisions = new Map<string, number>();
  const record = (tenantId: string, category: string, streamId: string, type: string, data: unknown) => {
    const stream = `${category}-${streamId}`;
    const revision = (revisions.get(`${tenantId}/${stream}`) ?? -1) + 1;
    revisions.set(`${tenantId}/${stream}`, revision);
    events.push({
      id: randomUUID(),
      type,
      data,
      metadata: {
        tenantId,
        actor: { kind: 'user', id: 'bench' },
        correlationId: 'c',
        causationId: 'r',
        requestId: 'r',
        schemaVersion: 1,
      },
      stream,
      category,
      streamId,
      revision,
      position: events.length + 1,
      time: new Date(1_735_689_600_000 + events.length).toISOString(),
    });
  };
  const resource = (action: string) => `${RESOURCE_KINDS[action]}/r${random(RESOURCES_PER_KIND)}`;

  for (let t = 0; t < TENANTS; t++) {
    const tenantId = `tenant-${t}`;
    const tenantLines: PolicyLine[] = BUILT_IN_ROLE_NAMES.flatMap((role) =>
      BUILT_IN_ROLES[role].permissions.map((p): PolicyLine => [
        `role:${role}`,
        tenantId,
        '*',
        p,
        'allow',
        `role:${role}`,
      ]),
    );
    const tenantLinks: [string, string][] = [];
    record(tenantId, 'tenant', tenantId, 'TenantCreated', { tenantId, displayName: tenantId });
    for (let u = 0; u < USERS_PER_TENANT; u++) {
      const principalId = `u${u}`;
      record(tenantId, 'principal', principalId, 'PrincipalCreated', {
        principalId,
        kind: 'USER',
        name: principalId,
        oidcSubject: '',
        systemAdmin: false,
      });
      const role = BUILT_IN_ROLE_NAMES[random(BUILT_IN_ROLE_NAMES.length)]!;
      record(tenantId, 'policy', tenantId, 'RoleAssigned', {
        bindingId: `b-${u}`,
        subject: `user:${principalId}`,
        role,
      });
      tenantLinks.push([`user:${principalId}`, `role:${role}`]);
    }
    for (let r = 0; r < RULES_PER_TENANT; r++) {
      const subject = `agent:a${r % AGENTS_PER_TENANT}`;
      const action = ACTIONS[random(ACTIONS.length)]!;
      const target = random(10) === 0 ? `${RESOURCE_KINDS[action]}/*` : resource(action);
      const effect = random(10) === 0 ? 'DENY' : 'ALLOW';
      const requiresApproval = effect === 'ALLOW' && random(20) === 0;
      record(tenantId, 'policy', tenantId, 'PolicyRuleAdded', {
        ruleId: `r-${r}`,
        subject,
        action,
        resource: target,
        effect,
        requiresApproval,
      });
      tenantLines.push([subject, tenantId, target, action, effect === 'DENY' ? 'deny' : 'allow', `rule:r-${r}`]);
    }
    lines.set(tenantId, tenantLines);
    links.set(tenantId, tenantLinks);
  }

  const requests: Request[] = [];
  for (let i = 0; i < DECISIONS; i++) {
    const tenantId = `tenant-${random(TENANTS)}`;
    if (random(5) === 0) {
      requests.push({
        tenantId,
        subject: `user:u${random(USERS_PER_TENANT)}`,
        action: ROLE_ACTIONS[random(ROLE_ACTIONS.length)]!,
        resource: '*',
      });
    } else {
      const action = ACTIONS[random(ACTIONS.length)]!;
      requests.push({ tenantId, subject: `agent:a${random(AGENTS_PER_TENANT)}`, action, resource: resource(action) });
    }
  }
  return { events, lines, links, requests };
}

async function rawEnforcer(tenants: string[], fixture: Fixture): Promise<Enforcer> {
  const enforcer = await newEnforcer(newModelFromString(ACCESS_MODEL_CONF));
  // Straight into the model: casbin's addPolicy checks for duplicates linearly,
  // which would take minutes at 100k lines; the decision cost is the same.
  const policy = enforcer.getModel().model.get('p')!.get('p')!.policy;
  for (const tenantId of tenants) {
    for (const line of fixture.lines.get(tenantId)!) policy.push(line);
    for (const [subject, role] of fixture.links.get(tenantId)!)
      await enforcer.addGroupingPolicy(subject, role, tenantId);
  }
  return enforcer;
}

export async function benchAuthz(): Promise<void> {
  process.stdout.write(`\n(c) authorization: ${TENANTS} tenants × ${RULES_PER_TENANT} rules, ${DECISIONS} decisions\n`);
  const fixture = buildFixture();

  // Every decision made afresh (nothing remembered), as on a question's first asking;
  // `remembering` is the gateway's configuration, measured on questions asked before.
  const model = new AccessModel({ rememberedDecisions: 0 });
  const remembering = new AccessModel();
  const applyStart = process.hrtime.bigint();
  for (const event of fixture.events) model.apply(event);
  const applySeconds = Number(process.hrtime.bigint() - applyStart) / 1e9;
  for (const event of fixture.events) remembering.apply(event);
  process.stdout.write(
    `  applied ${fixture.events.length} governance events in ${applySeconds.toFixed(2)} s (${(fixture.events.length / applySeconds).toFixed(0)} events/s)\n`,
  );

  const { requests } = fixture;
  const outcomes = { ALLOWED: 0, DENIED: 0, APPROVAL_REQUIRED: 0 };
  for (const r of requests) outcomes[model.check(r.tenantId, r.subject, r.action, r.resource).decision]++;
  const check = time(requests.length, (i) => {
    const r = requests[i]!;
    model.check(r.tenantId, r.subject, r.action, r.resource);
  });
  // The same questions, each asked once before (the memo is bounded per tenant; these fit).
  let rememberedDisagreements = 0;
  for (const r of requests) {
    const fresh = model.check(r.tenantId, r.subject, r.action, r.resource);
    const kept = remembering.check(r.tenantId, r.subject, r.action, r.resource);
    if (fresh.decision !== kept.decision || fresh.explanation !== kept.explanation) rememberedDisagreements++;
  }
  const remembered = time(requests.length, (i) => {
    const r = requests[i]!;
    remembering.check(r.tenantId, r.subject, r.action, r.resource);
  });

  // Raw casbin, one tenant's lines in one enforcer, on that tenant's requests.
  const tenantZero = 'tenant-0';
  const oneTenant = await rawEnforcer([tenantZero], fixture);
  const tenantRequests = requests.filter((r) => r.tenantId === tenantZero);
  const sample = (i: number) => tenantRequests[i % tenantRequests.length]!;
  let disagreements = 0;
  for (let i = 0; i < tenantRequests.length; i++) {
    const r = sample(i);
    const raw = oneTenant.enforceSync(r.subject, r.tenantId, r.resource, r.action);
    if (raw !== (model.check(r.tenantId, r.subject, r.action, r.resource).decision !== 'DENIED')) disagreements++;
  }
  const rawTenant = time(RAW_TENANT_DECISIONS, (i) => {
    const r = sample(i);
    oneTenant.enforceSync(r.subject, r.tenantId, r.resource, r.action);
  });
  const checkTenant = time(RAW_TENANT_DECISIONS, (i) => {
    const r = sample(i);
    model.check(r.tenantId, r.subject, r.action, r.resource);
  });

  // Raw casbin doing the work check() hands it: per requester, an enforcer holding
  // only the lines of the requester and its roles (what check() lets casbin scan).
  const perRequester = new Map<string, Enforcer>();
  for (const r of tenantRequests) {
    if (perRequester.has(r.subject)) continue;
    const roles = new Set([
      r.subject,
      ...fixture.links
        .get(tenantZero)!
        .filter(([s]) => s === r.subject)
        .map(([, role]) => role),
    ]);
    const enforcer = await newEnforcer(newModelFromString(ACCESS_MODEL_CONF));
    for (const line of fixture.lines.get(tenantZero)!) if (roles.has(line[0])) await enforcer.addPolicy(...line);
    for (const role of roles) if (role !== r.subject) await enforcer.addGroupingPolicy(r.subject, role, tenantZero);
    perRequester.set(r.subject, enforcer);
  }
  const rawRequester = time(RAW_TENANT_DECISIONS, (i) => {
    const r = sample(i);
    perRequester.get(r.subject)!.enforceSync(r.subject, r.tenantId, r.resource, r.action);
  });

  // Raw casbin, every tenant's lines in one enforcer (domains keep them apart).
  const everyone = await rawEnforcer([...fixture.lines.keys()], fixture);
  const rawAll = time(RAW_ALL_DECISIONS, (i) => {
    const r = requests[i]!;
    everyone.enforceSync(r.subject, r.tenantId, r.resource, r.action);
  });

  process.stdout.write(
    `  outcomes: ${outcomes.ALLOWED} allowed, ${outcomes.DENIED} denied, ${outcomes.APPROVAL_REQUIRED} approval required\n`,
  );
  process.stdout.write(
    `  check() vs raw enforceSync on ${tenantZero}'s ${tenantRequests.length} requests: ${disagreements} disagreements\n`,
  );
  process.stdout.write(
    `${row(`raw casbin enforceSync, 1 tenant (${fixture.lines.get(tenantZero)!.length} lines)`, rawTenant)}\n`,
  );
  process.stdout.write(
    `${row(`raw casbin enforceSync, all tenants (${TENANTS * fixture.lines.get(tenantZero)!.length} lines)`, rawAll, rawTenant)}\n`,
  );
  process.stdout.write(`${row("raw casbin enforceSync, only the requester's lines", rawRequester, rawTenant)}\n`);
  process.stdout.write(`${row('AccessModel.check(), same 1-tenant requests', checkTenant, rawTenant)}\n`);
  process.stdout.write(
    `  check() p50 / raw casbin over the requester's lines p50: ${(checkTenant.p50Ms / rawRequester.p50Ms).toFixed(2)}×\n`,
  );
  process.stdout.write(`${row(`AccessModel.check(), ${TENANTS} tenants, random`, check, rawTenant)}\n`);
  process.stdout.write(
    `${row(`AccessModel.check(), ${TENANTS} tenants, asked before`, remembered, rawTenant)}  (${rememberedDisagreements} differ from a fresh decision)\n`,
  );
  process.stdout.write(
    `  target: check() p99 <= ${TARGET_P99_MS} ms -> ${check.p99Ms <= TARGET_P99_MS ? 'met' : 'NOT met'}\n`,
  );
}

const time = (samples: number, decide: (i: number) => unknown): Timing =>
  // Untimed warm-up over the first requests, so JIT compilation is not measured.
  timeSync(samples, decide, Math.min(samples, 1_000, Math.max(5, samples / 10)));
const row = (name: string, r: Timing, baseline?: Timing): string => formatTiming(name, r, baseline, 4);
