import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  PROTO_FILES,
  PROTO_PACKAGE,
  PROTO_ROOT,
  RuntimeSubjects,
  SERVICE_SUBJECTS,
  type Subject,
} from '@aos/contracts';
import { AosError } from '@aos/errors';
import { DirectNats, ServiceClient, type RequestContext } from '@aos/messaging';
import { startTestStack, type TestStack } from '@aos/testing';

/**
 * Every NATS subject a service answers, walked with bodies of the wrong
 * shape against the running services: each answers INVALID_ARGUMENT naming
 * the field, never a crash, a timeout or INTERNAL. The subjects come from the
 * one declaration of them (SERVICE_SUBJECTS), so a subject added later is
 * walked too.
 */
let t: TestStack;
let client: ServiceClient;
let direct: DirectNats;
let protos: protobuf.Root;

beforeAll(async () => {
  protos = new protobuf.Root();
  protos.resolvePath = (_origin, target) =>
    target.startsWith('/') || target.startsWith('google/') ? target : join(PROTO_ROOT, target);
  await protos.load(
    PROTO_FILES.map((file) => join(PROTO_ROOT, file)),
    { keepCase: false },
  );
  protos.resolveAll();
  t = await startTestStack();
  client = new ServiceClient(t.natsUrl);
  await client.connect();
  direct = await DirectNats.connect(t.natsUrl, 'subject-bodies test');
});

afterAll(async () => {
  await direct?.close();
  await client?.close();
  await t?.stop();
});

const ctx = (): RequestContext => ({
  tenantId: 'default',
  actor: { kind: 'service', id: 'subject-bodies-test' },
  correlationId: randomUUID(),
});

async function refusal(call: Promise<unknown>, what = 'the request'): Promise<AosError> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(AosError);
    return err as AosError;
  }
  throw new Error(`expected ${what} to be refused`);
}

/** Sends any body on a subject, as a client that does not know (or ignores) its type would. */
function send(subject: Subject<unknown, unknown>, body: unknown): Promise<unknown> {
  return client.request(subject, ctx(), body, 5_000);
}

/** The first field an internal subject's schema declares, and a value of the wrong type for it. */
function wrongFirstField(
  subject: Subject<unknown, unknown>,
): { field: string; body: Record<string, unknown> } | undefined {
  if (!(subject.body instanceof z.ZodObject)) return undefined;
  const [field, schema] = Object.entries(subject.body.shape as Record<string, z.ZodType>)[0]!;
  const wrong = schema.safeParse('a string').success ? { not: 'a string' } : 'a string';
  return { field, body: { [field]: wrong } };
}

const someId = randomUUID();

/**
 * Each public subject's gRPC method, and a body its service accepts (it may
 * answer NOT_FOUND for the made-up id, but not INVALID_ARGUMENT): the walk
 * below spoils one field of it at a time. `request_id` is added where the
 * message has one.
 */
const PUBLIC_BODIES: Record<string, [method: string, body: Record<string, unknown>]> = {
  'aos.lifecycle.create': ['AgentService.CreateAgent', { agent: { name: 'walker' } }],
  'aos.lifecycle.get': ['AgentService.GetAgent', { id: someId }],
  'aos.lifecycle.list': ['AgentService.ListAgents', {}],
  'aos.lifecycle.update': [
    'AgentService.UpdateAgent',
    { id: someId, agent: { description: 'walked' }, updateMask: { paths: ['description'] } },
  ],
  'aos.lifecycle.deploy': ['AgentService.DeployAgent', { id: someId }],
  'aos.lifecycle.pause': ['AgentService.PauseAgent', { id: someId }],
  'aos.lifecycle.resume': ['AgentService.ResumeAgent', { id: someId }],
  'aos.lifecycle.retire': ['AgentService.RetireAgent', { id: someId }],
  'aos.lifecycle.list-versions': ['AgentService.ListAgentVersions', { id: someId }],
  'aos.lifecycle.rollback': ['AgentService.RollbackAgent', { id: someId, toVersion: 1 }],
  'aos.lifecycle.get-stats': ['AgentService.GetAgentStats', { id: someId }],
  'aos.audit.list': ['AuditService.ListEvents', {}],
  'aos.audit.get-log-key': ['AuditService.GetLogKey', {}],
  'aos.audit.get-checkpoint': ['AuditService.GetCheckpoint', { treeSize: 1 }],
  'aos.audit.create-checkpoint': ['AuditService.CreateCheckpoint', {}],
  'aos.audit.verify-log': ['AuditService.VerifyLog', { afterPosition: 1, untilPosition: 2, trustedCheckpoint: '' }],
  'aos.audit.get-inclusion-proof': ['AuditService.GetInclusionProof', { position: 1, treeSize: 1 }],
  'aos.audit.get-consistency-proof': ['AuditService.GetConsistencyProof', { firstTreeSize: 1, secondTreeSize: 1 }],
  'aos.commands.interpret': ['CommandService.Interpret', { text: 'list agents' }],
  'aos.commands.execute': ['CommandService.Execute', { planId: someId, digest: 'a'.repeat(64) }],
  'aos.commands.get-plan': ['CommandService.GetPlan', { id: someId }],
  'aos.governance.create-tenant': ['GovernanceService.CreateTenant', { tenant: { id: 'walked' } }],
  'aos.governance.list-tenants': ['GovernanceService.ListTenants', {}],
  'aos.governance.create-principal': [
    'GovernanceService.CreatePrincipal',
    { principal: { kind: 'USER', name: 'walker' } },
  ],
  'aos.governance.get-principal': ['GovernanceService.GetPrincipal', { id: someId }],
  'aos.governance.list-principals': ['GovernanceService.ListPrincipals', {}],
  'aos.governance.create-api-key': ['GovernanceService.CreateApiKey', { principalId: someId }],
  'aos.governance.list-api-keys': ['GovernanceService.ListApiKeys', {}],
  'aos.governance.revoke-api-key': ['GovernanceService.RevokeApiKey', { id: someId }],
  'aos.governance.define-role': [
    'GovernanceService.DefineRole',
    { role: { name: 'walker', permissions: ['agents.get'] } },
  ],
  'aos.governance.list-roles': ['GovernanceService.ListRoles', {}],
  'aos.governance.assign-role': ['GovernanceService.AssignRole', { subject: 'user:walker', role: 'viewer' }],
  'aos.governance.revoke-role': ['GovernanceService.RevokeRole', { subject: 'user:walker', role: 'viewer' }],
  'aos.governance.list-role-bindings': ['GovernanceService.ListRoleBindings', {}],
  'aos.governance.add-policy-rule': [
    'GovernanceService.AddPolicyRule',
    { rule: { subject: 'agent:walker', action: 'tools.call', resource: 'tools/*', effect: 'ALLOW' } },
  ],
  'aos.governance.remove-policy-rule': ['GovernanceService.RemovePolicyRule', { id: someId }],
  'aos.governance.list-policy-rules': ['GovernanceService.ListPolicyRules', {}],
  'aos.governance.check-access': ['GovernanceService.CheckAccess', { subject: 'user:walker', action: 'agents.get' }],
  'aos.governance.list-approvals': ['GovernanceService.ListApprovals', {}],
  'aos.governance.decide-approval': ['GovernanceService.DecideApproval', { id: someId, approve: true }],
  'aos.governance.set-budget': ['GovernanceService.SetBudget', { scope: 'TENANT', period: 'DAILY', tokenLimit: 1000 }],
  'aos.governance.get-budget': ['GovernanceService.GetBudget', { scope: 'TENANT' }],
  'aos.resources.register-tool': [
    'ToolService.RegisterTool',
    { tool: { name: 'walker', risk: 'READ', http: { endpoint: 'http://127.0.0.1:9/walk', method: 'POST' } } },
  ],
  'aos.resources.register-mcp-server': ['ToolService.RegisterMcpServer', { url: 'http://127.0.0.1:9/mcp' }],
  'aos.resources.get-tool': ['ToolService.GetTool', { id: someId }],
  'aos.resources.list-tools': ['ToolService.ListTools', {}],
  'aos.resources.disable-tool': ['ToolService.DisableTool', { id: someId }],
  'aos.resources.create-knowledge-base': [
    'KnowledgeService.CreateKnowledgeBase',
    { knowledgeBase: { name: 'walker' } },
  ],
  'aos.resources.get-knowledge-base': ['KnowledgeService.GetKnowledgeBase', { id: someId }],
  'aos.resources.list-knowledge-bases': ['KnowledgeService.ListKnowledgeBases', {}],
  'aos.resources.add-document': [
    'KnowledgeService.AddDocument',
    {
      knowledgeBaseId: someId,
      contentType: 'text/plain',
      content: Buffer.from('walked').toString('base64'),
    },
  ],
  'aos.resources.list-documents': ['KnowledgeService.ListDocuments', { knowledgeBaseId: someId }],
  'aos.resources.get-document': ['KnowledgeService.GetDocument', { knowledgeBaseId: someId, documentId: 'walker' }],
  'aos.resources.remove-document': [
    'KnowledgeService.RemoveDocument',
    { knowledgeBaseId: someId, documentId: 'walker' },
  ],
  'aos.resources.search': ['KnowledgeService.Search', { query: 'walk every subject' }],
  'aos.resources.put-context': ['ContextService.PutContext', { scope: 'tenant', key: 'walker', valueJson: '{}' }],
  'aos.resources.get-context': ['ContextService.GetContext', { scope: 'tenant', key: 'walker' }],
  'aos.resources.list-context': ['ContextService.ListContext', { scope: 'tenant' }],
  'aos.resources.delete-context': ['ContextService.DeleteContext', { scope: 'tenant', key: 'walker' }],
  'aos.routing.submit': ['TaskService.SubmitTask', { task: { text: 'walk every subject' } }],
  'aos.routing.get': ['TaskService.GetTask', { id: someId }],
  'aos.routing.list': ['TaskService.ListTasks', {}],
  'aos.routing.cancel': ['TaskService.CancelTask', { id: someId }],
  'aos.routing.reassign': ['TaskService.ReassignTask', { id: someId, agentId: someId }],
};

/** A value of the wrong type for a proto field, as a JSON client could send it. */
function wrongValueFor(field: protobuf.Field): unknown {
  if (field.repeated || field.map || field.resolvedType instanceof protobuf.Type) return 'not a message or list';
  if (field.type === 'string' || field.resolvedType instanceof protobuf.Enum) return 42;
  return 'not a number or boolean';
}

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

describe('every NATS subject checks its body on receipt', () => {
  it('has subjects to walk: every service, the public ones and the internal ones', () => {
    const names = SERVICE_SUBJECTS.map((s) => s.name);
    for (const service of ['lifecycle', 'audit', 'governance', 'resources', 'routing', 'runtime', 'commands']) {
      expect(
        names.some((n) => n.startsWith(`aos.${service}.`)),
        service,
      ).toBe(true);
    }
    expect(names).toContain('aos.routing.claim-run');
    expect(names).toContain('aos.governance.record-usage');
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(SERVICE_SUBJECTS.map((s) => [s.name, s] as const))(
    '%s: a body that is not an object is INVALID_ARGUMENT naming body',
    async (_name, subject) => {
      for (const body of ['not a message', 42, [1, 2]]) {
        const err = await refusal(send(subject, body));
        expect([err.code, err.field], err.message).toEqual(['INVALID_ARGUMENT', 'body']);
      }
    },
  );

  it.each(SERVICE_SUBJECTS.filter((s) => wrongFirstField(s)).map((s) => [s.name, s] as const))(
    '%s: a field of the wrong type is INVALID_ARGUMENT naming that field',
    async (_name, subject) => {
      const { field, body } = wrongFirstField(subject)!;
      const err = await refusal(send(subject, body));
      expect([err.code, err.field], err.message).toEqual(['INVALID_ARGUMENT', field]);
    },
  );

  it('lists a body for every public subject', () => {
    const publicSubjects = SERVICE_SUBJECTS.filter((s) => !(s.body instanceof z.ZodObject)).map((s) => s.name);
    expect(publicSubjects.filter((name) => !(name in PUBLIC_BODIES))).toEqual([]);
  });

  it.each(Object.entries(PUBLIC_BODIES))(
    '%s: every field of its request message, given a value of the wrong type, is INVALID_ARGUMENT naming it',
    async (name, [method, base]) => {
      const subject = SERVICE_SUBJECTS.find((s) => s.name === name)!;
      const [service, rpc] = method.split('.') as [string, string];
      const rpcMethod = protos.lookupService(`${PROTO_PACKAGE}.${service}`).methods[rpc]!;
      rpcMethod.resolve();
      const request = rpcMethod.resolvedRequestType!;
      const body = (spoilt: Record<string, unknown> = {}) => ({
        ...base,
        ...(request.fields.requestId && { requestId: randomUUID() }),
        ...spoilt,
      });
      // The body itself passes the service's checks.
      const accepted = await send(subject, body()).then(
        () => undefined,
        (err: AosError) => err,
      );
      expect(accepted?.code, accepted?.message).not.toBe('INVALID_ARGUMENT');
      for (const field of request.fieldsArray) {
        const wrong = wrongValueFor(field);
        const err = await refusal(
          send(subject, body({ [field.name]: wrong })),
          `${field.name} = ${JSON.stringify(wrong)}`,
        );
        expect(
          [err.code, err.field?.split('.')[0]],
          `${field.name} = ${JSON.stringify(wrong)}: ${err.message}`,
        ).toEqual(['INVALID_ARGUMENT', snakeCase(field.name)]);
      }
    },
  );

  it("a session's own subjects (one subscriber each) check their bodies too", async () => {
    const sessionId = randomUUID();
    const received: unknown[] = [];
    const inbound = RuntimeSubjects.session(sessionId);
    const served = await direct.serve(inbound, ({ body }) => {
      received.push(body);
      return {};
    });
    try {
      const err = await refusal(direct.request(inbound, ctx(), { kind: 'message' } as never, 2_000));
      expect([err.code, err.field]).toEqual(['INVALID_ARGUMENT', 'message']);
      const unknownKind = await refusal(direct.request(inbound, ctx(), { kind: 'shout' } as never, 2_000));
      expect([unknownKind.code, unknownKind.field]).toEqual(['INVALID_ARGUMENT', 'kind']);
      expect(received).toEqual([]);
      await direct.request(inbound, ctx(), { kind: 'ping' }, 2_000);
      expect(received).toEqual([{ kind: 'ping' }]);
    } finally {
      served.close();
    }
  });
});
