import { describe, expect, it } from 'vitest';
import type { ToolCallResult } from '@aos/contracts';
import {
  BuiltinToolError,
  getArguments,
  putArguments,
  readGet,
  readPut,
  readSearch,
  searchArguments,
} from './builtin-tools';

const answer = (fields: Partial<ToolCallResult>): ToolCallResult => ({
  taskId: 't',
  callId: 'c1',
  decision: 'ALLOWED',
  decisionReason: "granted by the agent's knowledge_base_ids; no policy rule applies",
  result: '',
  error: '',
  ...fields,
});

function rejection(read: () => unknown): BuiltinToolError {
  try {
    read();
  } catch (err) {
    expect(err).toBeInstanceOf(BuiltinToolError);
    return err as BuiltinToolError;
  }
  throw new Error('expected a BuiltinToolError');
}

describe('the SDK’s built-in tool wrappers', () => {
  it('send the arguments AgentOS declares, snake_case, leaving out what is not given', () => {
    expect(searchArguments('refunds')).toEqual({ query: 'refunds' });
    expect(searchArguments('refunds', { knowledgeBaseIds: ['kb-1'], topK: 3 })).toEqual({
      query: 'refunds',
      knowledge_base_ids: ['kb-1'],
      top_k: 3,
    });
    expect(getArguments('plan', { scope: 'tenant', version: 2 })).toEqual({ key: 'plan', scope: 'tenant', version: 2 });
    expect(putArguments('plan', null, { expectedVersion: 0 })).toEqual({
      key: 'plan',
      value: null,
      expected_version: 0,
    });
    expect(() => putArguments('plan', undefined)).toThrow(/value is required/);
  });

  it('read a search’s results with their citations', () => {
    const citation = {
      knowledgeBaseId: 'kb-1',
      documentId: 'handbook',
      documentVersion: 2,
      documentTitle: 'Handbook',
      chunkIndex: 0,
      startOffset: 10,
      endOffset: 90,
    };
    const result = JSON.stringify({
      results: [
        { citation, score: 0.8, snippet: 'refunds within 30 days', snippetStartOffset: 12, snippetEndOffset: 34 },
      ],
      knowledgeBaseIds: ['kb-1'],
      refused: [{ knowledgeBaseId: 'hr', reason: 'denied: rule r9' }],
    });
    const search = readSearch(answer({ result }));
    expect(search.results[0]!.citation).toEqual(citation);
    expect(search.refused).toEqual([{ knowledgeBaseId: 'hr', reason: 'denied: rule r9' }]);
  });

  it('read an entry, and undefined when there is none', () => {
    const entry = { scope: 'task/r1', key: 'plan', version: 1, updatedBy: 'agent:a', updateTime: '', value: [1] };
    expect(readGet(answer({ result: JSON.stringify(entry) }))).toEqual(entry);
    expect(readGet(answer({ error: 'NOT_FOUND: context entry "plan" not found' }))).toBeUndefined();
    expect(readPut(answer({ result: '{"scope":"tenant","key":"k","version":3}' })).version).toBe(3);
  });

  it('reject a refusal as PERMISSION_DENIED and a failure with its code', () => {
    const refused = rejection(() =>
      readSearch(answer({ decision: 'DENIED', error: 'no knowledge base may be searched: denied: rule r9' })),
    );
    expect(refused).toMatchObject({ code: 'PERMISSION_DENIED', decision: 'DENIED', tool: 'knowledge_search' });
    expect(refused.message).toBe('knowledge_search: no knowledge base may be searched: denied: rule r9');
    const stale = rejection(() => readPut(answer({ error: 'ABORTED: expected revision 0, but the stream is at 1' })));
    expect(stale).toMatchObject({ code: 'ABORTED', decision: 'ALLOWED' });
    expect(
      rejection(() => readGet(answer({ decision: '', error: 'task t is not running in this session' }))).code,
    ).toBe('UNKNOWN');
  });
});
