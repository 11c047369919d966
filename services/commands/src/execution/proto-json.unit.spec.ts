import { describe, expect, it } from 'vitest';
import { replyJson, wireRequest } from './proto-json';

describe('proto JSON and the wire', () => {
  it('gives a step the body a direct call would carry: every default, Timestamps as {seconds, nanos}', () => {
    const body = wireRequest('AuditService', 'ListEvents', { startTime: '2025-01-02T03:04:05.500Z', pageSize: 10 });
    expect(body.startTime).toEqual({ seconds: 1735787045, nanos: 500_000_000 });
    expect(body).toMatchObject({ pageSize: 10, pageToken: '', eventTypes: [], afterPosition: 0 });
  });

  it('keeps enums as names and nested messages whole', () => {
    const body = wireRequest('AgentService', 'CreateAgent', {
      agent: { name: 'invoice-bot', capabilities: ['invoices'], labels: { team: 'finance' } },
    });
    expect(body.agent).toMatchObject({
      name: 'invoice-bot',
      capabilities: ['invoices'],
      labels: { team: 'finance' },
      state: 'AGENT_STATE_UNSPECIFIED',
    });
    expect(body.requestId).toBe('');
  });

  it('writes a reply as proto3 JSON with RFC 3339 times', () => {
    const json = JSON.parse(
      replyJson('AgentService', 'GetAgent', {
        id: 'x',
        name: 'a',
        state: 'ACTIVE',
        createTime: { seconds: 1735787045, nanos: 0 },
        revision: 3,
      }),
    ) as Record<string, unknown>;
    expect(json).toMatchObject({ id: 'x', name: 'a', state: 'ACTIVE', createTime: '2025-01-02T03:04:05.000Z' });
  });
});
