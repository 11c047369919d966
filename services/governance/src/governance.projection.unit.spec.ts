import { RequestIndex } from '@aos/command-pipeline';
import { GovernanceCategories } from '@aos/contracts';
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '@aos/event-store';
import { GovernanceProjection, type ApprovalRecord } from './governance.projection';

let position = 0;
function recorded(
  category: string,
  streamId: string,
  revision: number,
  type: string,
  data: unknown,
  requestId = `r${position + 1}`,
): RecordedEvent {
  position += 1;
  return {
    id: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
    type,
    data,
    metadata: {
      tenantId: 'acme',
      actor: { kind: 'user', id: 'p0' },
      correlationId: 'c1',
      causationId: requestId,
      requestId,
      schemaVersion: 1,
    },
    stream: `${category}-${streamId}`,
    category,
    streamId,
    revision,
    position,
    time: '2030-01-15T10:00:00.000Z',
  };
}

describe('GovernanceProjection', () => {
  it('indexes principals by folded name and keys by id, and ignores a redelivered event', () => {
    const projection = new GovernanceProjection();
    const created = recorded('principal', 'p1', 0, 'PrincipalCreated', {
      principalId: 'p1',
      kind: 'USER',
      name: 'Alice',
      oidcSubject: '',
      systemAdmin: false,
    });
    const key = recorded('principal', 'p1', 1, 'ApiKeyCreated', {
      keyId: 'k1',
      principalId: 'p1',
      prefix: 'abcd1234',
      hash: 'scrypt$x',
      description: '',
      expireTime: null,
    });
    // The command pipeline's request index is fed beside the projection, as the service feeds it.
    const requests = new RequestIndex(Object.values(GovernanceCategories));
    for (const event of [created, key, key]) {
      projection.apply(event);
      requests.apply(event);
    }
    expect(projection.principalIdByName('acme', 'ALICE')).toBe('p1');
    expect(projection.principalIdByKey('acme', 'k1')).toBe('p1');
    expect(projection.principal('acme', 'p1')?.revision).toBe(1);
    expect(requests.get('acme', key.metadata.requestId)).toHaveLength(1);
    expect(projection.principal('other', 'p1')).toBeUndefined();
    expect(projection.eventsApplied).toBe(2);
  });

  it('reports pending approvals and records who decided', () => {
    const projection = new GovernanceProjection();
    const pending: ApprovalRecord[] = [];
    projection.onApprovalPending = (record) => pending.push(record);
    projection.apply(
      recorded('approval', 'a1', 0, 'ApprovalRequested', {
        approvalId: 'a1',
        subject: 'agent:x',
        action: 'tools.call',
        resource: '*',
        reason: 'why',
        expireTime: '2030-01-15T11:00:00.000Z',
      }),
    );
    projection.apply(
      recorded('approval', 'a1', 1, 'ApprovalGranted', { approvalId: 'a1', decidedBy: 'user:p0', reason: 'ok' }),
    );
    expect(pending.map((r) => r.state.approvalId)).toEqual(['a1']);
    // Written before approvals kept the action's input and the asking run: folds as none.
    expect(pending[0]).toMatchObject({ argumentsJson: '', argumentsTruncated: false, runId: '' });
    expect(projection.approval('acme', 'a1')).toMatchObject({
      state: { status: 'APPROVED' },
      decidedBy: 'user:p0',
      decisionReason: 'ok',
    });
    expect(projection.pendingApprovals()).toEqual([]);
  });

  it('refuses an event whose data does not match its stream', () => {
    const projection = new GovernanceProjection();
    expect(() =>
      projection.apply(
        recorded('principal', 'p9', 0, 'PrincipalCreated', {
          principalId: 'p1',
          kind: 'USER',
          name: 'x',
          oidcSubject: '',
          systemAdmin: false,
        }),
      ),
    ).toThrow(/does not match the stream/);
  });
});
