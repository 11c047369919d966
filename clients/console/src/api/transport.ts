import { createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import type { DescService } from '@bufbuild/protobuf';
import { AgentService } from '../gen/aos/v1/agent_pb';
import { AuditService } from '../gen/aos/v1/audit_pb';
import { CommandService } from '../gen/aos/v1/command_pb';
import { ContextService } from '../gen/aos/v1/context_pb';
import { GovernanceService } from '../gen/aos/v1/governance_pb';
import { KnowledgeService } from '../gen/aos/v1/knowledge_pb';
import { TaskService } from '../gen/aos/v1/task_pb';
import { ToolService } from '../gen/aos/v1/tool_pb';
import { readBearer } from './api-key.store';

// A call that already carries credentials (sign-in trying a new key or token) keeps them.
const withApiKey: Interceptor = (next) => (request) => {
  const bearer = readBearer();
  if (bearer && !request.header.has('authorization')) request.header.set('authorization', `Bearer ${bearer}`);
  return next(request);
};

// The gateway serves the console and the Connect bridge on the same origin.
// Binary protobuf: int64 positions and revisions arrive as the numbers they are, and replies are smaller.
const transport = createConnectTransport({
  baseUrl: window.location.origin,
  useBinaryFormat: true,
  interceptors: [withApiKey],
});

function clientFor<S extends DescService>(service: S): Client<S> {
  return createClient(service, transport);
}

export const agents = clientFor(AgentService);
export const tasks = clientFor(TaskService);
export const governance = clientFor(GovernanceService);
export const audit = clientFor(AuditService);
export const tools = clientFor(ToolService);
export const knowledge = clientFor(KnowledgeService);
export const commands = clientFor(CommandService);
export const context = clientFor(ContextService);
