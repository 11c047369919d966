import { describe, expect, it } from 'vitest';
import { parseContextGet, parseContextPut, parseKnowledgeSearch } from './builtin-arguments';

describe('the built-in tools’ arguments', () => {
  it('knowledge_search: a query, optional knowledge base ids (deduplicated) and top_k (default 5)', () => {
    expect(parseKnowledgeSearch('{"query":"refund policy"}')).toEqual({
      ok: true,
      args: { query: 'refund policy', knowledgeBaseIds: undefined, topK: 5 },
    });
    expect(parseKnowledgeSearch('{"query":"q","knowledge_base_ids":["a","a","b"],"top_k":3}')).toEqual({
      ok: true,
      args: { query: 'q', knowledgeBaseIds: ['a', 'b'], topK: 3 },
    });
    expect(parseKnowledgeSearch('{"query":"  "}')).toEqual({ ok: false, problem: 'query: is required (a string)' });
    expect(parseKnowledgeSearch('{"query":"q","top_k":0}')).toMatchObject({ problem: /^top_k: must be an integer/ });
    expect(parseKnowledgeSearch('{"query":"q","knowledge_base_ids":"a"}')).toMatchObject({
      problem: /^knowledge_base_ids:/,
    });
    expect(parseKnowledgeSearch('not json')).toEqual({ ok: false, problem: 'the arguments are not valid JSON' });
    expect(parseKnowledgeSearch('[1]')).toEqual({ ok: false, problem: 'the arguments are not a JSON object' });
  });

  it('context_get: a key, an optional scope and version', () => {
    expect(parseContextGet('{"key":"plan"}')).toEqual({
      ok: true,
      args: { scope: undefined, key: 'plan', version: 0 },
    });
    expect(parseContextGet('{"key":"plan","scope":"tenant","version":2}')).toMatchObject({
      args: { scope: 'tenant', version: 2 },
    });
    expect(parseContextGet('{"scope":"tenant"}')).toEqual({ ok: false, problem: 'key: is required (a string)' });
  });

  it('context_put: any JSON value (null too) kept as JSON text, an optional expected_version', () => {
    expect(parseContextPut('{"key":"plan","value":{"steps":[1,2]},"expected_version":0}')).toEqual({
      ok: true,
      args: { scope: undefined, key: 'plan', valueJson: '{"steps":[1,2]}', expectedVersion: 0 },
    });
    expect(parseContextPut('{"key":"k","value":null}')).toMatchObject({ args: { valueJson: 'null' } });
    expect(parseContextPut('{"key":"k"}')).toMatchObject({ ok: false, problem: /^value: is required/ });
    expect(parseContextPut('{"key":"k","value":1,"expected_version":-1}')).toMatchObject({
      problem: /^expected_version:/,
    });
  });
});
