import { v5 as uuidv5 } from 'uuid';
import {
  fromTimestamp,
  type ContextEntry,
  type KnowledgeCitation,
  type RunEvent,
  type SearchResponse,
  type ToolDecisionName,
} from '@aos/contracts';
import { AosError } from '@aos/errors';
import type { RequestContext } from '@aos/messaging';
import { truncate } from '../../run/run.recorder';
import type { GovernancePort, ResourcesPort } from '../../run/runtime.ports';
import {
  approvedReason,
  awaitApproval,
  policyOf,
  refusedApproval,
  toolCallRecorder,
  type RecordToolCall,
  type ToolCallOutcome,
  type ToolCallRequest,
  type ToolCallRun,
  type ToolCatalog,
} from '../governed-tool-call';
import {
  parseContextGet,
  parseContextPut,
  parseKnowledgeSearch,
  type ContextGetArgs,
  type ContextPutArgs,
} from './builtin-arguments';
import {
  CONTEXT_READ,
  CONTEXT_WRITE,
  contextScopeOf,
  KNOWLEDGE_READ,
  knowledgeBasesToSearch,
  searchVerdict,
  type KnowledgeBaseRefusal,
} from './builtin-grant';
import { builtinToolId, CONTEXT_GET, KNOWLEDGE_SEARCH, type BuiltinToolName } from './builtin-tools';

type KnowledgeSearchedData = Extract<RunEvent, { type: 'KnowledgeSearched' }>['data'];

/** Fixed forever: PutContext request ids too long to be written out are derived in it. */
const CONTEXT_REQUEST_NAMESPACE = 'b8a1f0d2-6c3e-4b7a-9d51-0e2f4c6a8b13';
/** What the model (or the agent) receives of a result at most, as for a registered tool. */
const MAX_CONTENT = 64 * 1024;

export interface BuiltinToolDeps {
  governance: GovernancePort;
  resources: ResourcesPort;
  /** Where an approval's decision is learnt (the runtime's model of the log). */
  catalog: Pick<ToolCatalog, 'decidedApproval'>;
  now?: () => number;
}

/**
 * The built-in tools (builtin-tools.ts) under governance, recorded in the
 * run: knowledge_search as KnowledgeSearched (the knowledge bases searched
 * and refused, the citations returned), context_get and context_put as
 * ToolCalled with toolId `builtin:<name>` (the write itself is also a ctx-*
 * event, the resources service's). The calls go to the resources service as
 * the agent. A refusal or an error (NOT_FOUND, a stale expected_version's
 * ABORTED, …) is the tool's result for the model, "<CODE>: <message>", so
 * it can read again and retry; only a rejected approval and a used-up budget
 * end the run, as for any tool.
 */
export class BuiltinToolCalls {
  /** Per run (its recorder), the log position of its last context write: its later reads wait for it. */
  private readonly written = new WeakMap<object, number>();

  constructor(private readonly deps: BuiltinToolDeps) {}

  call(run: ToolCallRun, request: ToolCallRequest, name: BuiltinToolName): Promise<ToolCallOutcome> {
    return name === KNOWLEDGE_SEARCH ? this.search(run, request) : this.context(run, request, name);
  }

  private async search(run: ToolCallRun, request: ToolCallRequest): Promise<ToolCallOutcome> {
    const started = this.now();
    const parsed = parseKnowledgeSearch(request.argumentsJson);
    const base = {
      query: parsed.ok ? parsed.args.query : '',
      topK: parsed.ok ? parsed.args.topK : 0,
      knowledgeBaseIds: [] as string[],
      refused: [] as KnowledgeBaseRefusal[],
    };
    const record = async (
      fields: Pick<KnowledgeSearchedData, 'decision' | 'decisionReason' | 'outcome' | 'error'> &
        Partial<KnowledgeSearchedData>,
    ) => {
      const data: KnowledgeSearchedData = {
        runId: run.runId,
        callId: request.callId,
        ...base,
        citations: [],
        ...fields,
        query: truncate(base.query, 2048),
        decisionReason: truncate(fields.decisionReason, 2048),
        error: truncate(fields.error),
        durationMs: Math.max(0, Math.round(this.now() - started)),
      };
      await run.recorder.record({ type: 'RecordKnowledgeSearch', data });
      return data;
    };
    if (!parsed.ok) {
      const reason = `the arguments are unusable: ${parsed.problem}`;
      return refused(await record({ decision: 'DENIED', decisionReason: reason, outcome: 'refused', error: reason }));
    }
    const { query, topK } = parsed.args;
    const selection = knowledgeBasesToSearch(run.knowledgeBaseIds, parsed.args.knowledgeBaseIds);
    const answers = await Promise.all(
      selection.candidates.map((id) =>
        this.deps.governance.checkAccess(run.ctx, `agent:${run.agentId}`, KNOWLEDGE_READ, `kb/${id}`),
      ),
    );
    const verdict = searchVerdict(selection, answers);
    base.refused = verdict.refused;
    if (verdict.kind !== 'search') {
      const recorded = await record({
        decision: 'DENIED',
        decisionReason: verdict.reason,
        outcome: 'refused',
        error: verdict.reason,
      });
      if (verdict.kind === 'refuse') return refused(recorded);
      return { ...refused(recorded), endRun: { code: 'RESOURCE_EXHAUSTED', reason: verdict.reason } };
    }
    base.knowledgeBaseIds = verdict.knowledgeBaseIds;
    const allowed = { decision: 'ALLOWED' as const, decisionReason: verdict.reason };
    let response: SearchResponse;
    try {
      response = await this.deps.resources.search(agentCtx(run), {
        query,
        knowledgeBaseIds: verdict.knowledgeBaseIds,
        topK,
        minPosition: 0,
      });
    } catch (err) {
      return failed(await record({ ...allowed, outcome: 'error', error: errorText(err, run) }));
    }
    const results = response.results ?? [];
    const recorded = await record({ ...allowed, outcome: 'ok', error: '', citations: results.map(citationOf) });
    const content = JSON.stringify({
      results: results.map((r) => ({
        citation: r.citation,
        score: r.score,
        snippet: r.snippet,
        snippetStartOffset: r.snippetStartOffset,
        snippetEndOffset: r.snippetEndOffset,
      })),
      knowledgeBaseIds: verdict.knowledgeBaseIds,
      refused: verdict.refused,
    });
    return { content: truncate(content, MAX_CONTENT), recorded };
  }

  private async context(
    run: ToolCallRun,
    request: ToolCallRequest,
    name: Exclude<BuiltinToolName, typeof KNOWLEDGE_SEARCH>,
  ): Promise<ToolCallOutcome> {
    const record = toolCallRecorder(run, request, this.now);
    const toolId = builtinToolId(name);
    const refuse = async (decision: ToolDecisionName, reason: string) =>
      refused(await record(toolId, decision, reason, 'refused', '', reason));
    const parsed =
      name === CONTEXT_GET ? parseContextGet(request.argumentsJson) : parseContextPut(request.argumentsJson);
    if (!parsed.ok) return refuse('DENIED', `the arguments are unusable: ${parsed.problem}`);
    const grant = contextScopeOf(run, parsed.args.scope);
    if (!grant.granted) return refuse('DENIED', grant.reason);
    const { scope, why } = grant;
    const { key } = parsed.args;
    const action = name === CONTEXT_GET ? CONTEXT_READ : CONTEXT_WRITE;
    const resource = `ctx/${scope}/${key}`;
    const access = await this.deps.governance.checkAccess(run.ctx, `agent:${run.agentId}`, action, resource);
    const policy = policyOf(access, why);
    const execute = (decision: 'ALLOWED' | 'APPROVED', reason: string) =>
      this.executeContext(run, request, parsed.args, scope, record, decision, reason);
    switch (policy.kind) {
      case 'allow':
        return execute('ALLOWED', policy.reason);
      case 'deny':
        return refuse('DENIED', policy.reason);
      case 'exhausted':
        return {
          ...(await refuse('DENIED', policy.reason)),
          endRun: { code: 'RESOURCE_EXHAUSTED', reason: policy.reason },
        };
      case 'approval': {
        const decided = await awaitApproval(this.deps, run, {
          callId: request.callId,
          action,
          resource,
          toolId,
          reason: `wants ${name} of ${scope}/${key}; ${policy.reason}`,
          argumentsJson: request.argumentsJson,
        });
        if (decided.status === 'APPROVED') return execute('APPROVED', approvedReason(decided));
        const why = refusedApproval(decided, `${name} of ${scope}/${key}`);
        return { ...(await refuse('REJECTED', why)), endRun: { code: 'PERMISSION_DENIED', reason: why } };
      }
      default:
        return policy satisfies never;
    }
  }

  private async executeContext(
    run: ToolCallRun,
    request: ToolCallRequest,
    args: ContextGetArgs | ContextPutArgs,
    scope: string,
    record: RecordToolCall,
    decision: 'ALLOWED' | 'APPROVED',
    reason: string,
  ): Promise<ToolCallOutcome> {
    const toolId = builtinToolId(request.toolName as BuiltinToolName);
    let entry: ContextEntry;
    try {
      if ('valueJson' in args) {
        entry = await this.deps.resources.putContext(agentCtx(run), {
          scope,
          key: args.key,
          valueJson: args.valueJson,
          ...(args.expectedVersion === undefined ? {} : { expectedVersion: args.expectedVersion }),
          requestId: contextRequestId(run.runId, request.callId, [
            scope,
            args.key,
            args.expectedVersion,
            args.valueJson,
          ]),
        });
        this.written.set(run.recorder, Math.max(this.written.get(run.recorder) ?? 0, entry.logPosition ?? 0));
      } else {
        entry = await this.deps.resources.getContext(agentCtx(run), {
          scope,
          key: args.key,
          version: args.version,
          // Read-your-writes within the run, whichever resources instance answers.
          minPosition: this.written.get(run.recorder) ?? 0,
        });
      }
    } catch (err) {
      return failed(await record(toolId, decision, reason, 'error', '', errorText(err, run)));
    }
    const result = JSON.stringify(contextResult(entry, 'valueJson' in args));
    return {
      content: truncate(result, MAX_CONTENT),
      recorded: await record(toolId, decision, reason, 'ok', result, ''),
    };
  }

  private readonly now = (): number => this.deps.now?.() ?? performance.now();
}

/** The agent's own context for the resources service: it acts as itself (`agent:<id>` in ctx-* events). */
function agentCtx(run: ToolCallRun): RequestContext {
  return { ...run.ctx, actor: { kind: 'agent', id: run.agentId } };
}

/**
 * The PutContext request id of a call: the same run, call id and write (scope,
 * key, expected version, value) are the same write, so a step retried after a
 * lost reply is stored once; a model server that reuses a call id in a run for
 * another write gets another id, so that write is not answered as the first.
 */
export function contextRequestId(runId: string, callId: string, write: readonly unknown[]): string {
  return uuidv5(JSON.stringify([runId, callId, ...write]), CONTEXT_REQUEST_NAMESPACE);
}

function citationOf(result: SearchResponse['results'][number]): KnowledgeCitation {
  const c = result.citation;
  return {
    knowledgeBaseId: c?.knowledgeBaseId ?? '',
    documentId: c?.documentId ?? '',
    documentVersion: Number(c?.documentVersion ?? 0),
    chunkIndex: c?.chunkIndex ?? 0,
    startOffset: Number(c?.startOffset ?? 0),
    endOffset: Number(c?.endOffset ?? 0),
    score: result.score ?? 0,
  };
}

/** What the model gets of an entry: the value itself (parsed), its version, who wrote it and when. */
function contextResult(entry: ContextEntry, written: boolean) {
  const base = {
    scope: entry.scope,
    key: entry.key,
    version: Number(entry.version),
    updatedBy: entry.updatedBy,
    updateTime: entry.updateTime ? fromTimestamp(entry.updateTime).toISOString() : '',
  };
  if (written) return base;
  let value: unknown;
  try {
    value = entry.valueJson ? JSON.parse(entry.valueJson) : null;
  } catch {
    value = entry.valueJson;
  }
  return { ...base, value };
}

/** A failure as the model reads it: "<CODE>: <message>"; a run told to stop stops. */
function errorText(err: unknown, run: ToolCallRun): string {
  if (run.signal.aborted) throw run.signal.reason;
  if (err instanceof AosError) return `${err.code}: ${err.message}`;
  throw err;
}

function refused(recorded: ToolCallOutcome['recorded']): ToolCallOutcome {
  return { content: `Tool call refused: ${recorded.error}`, recorded };
}

function failed(recorded: ToolCallOutcome['recorded']): ToolCallOutcome {
  return { content: `Tool call failed: ${recorded.error}`, recorded };
}
