import { describe, expect, it } from 'vitest';
import { ApprovalState, type Approval } from '@aos/contracts';
import { renderApproval, renderApprovalTable } from '../src/output/approval.view';

const approval = (overrides: Partial<Approval> = {}): Approval =>
  ({
    id: 'ap1',
    tenantId: 'default',
    subject: 'agent:a1',
    action: 'tools.call',
    resource: 'tools/t1',
    reason: 'task t1 (run t1-1) wants to call tool refund; approval required: rule r1',
    state: ApprovalState.PENDING,
    decidedBy: '',
    decisionReason: '',
    revision: 0,
    logPosition: 7,
    correlationId: 'c1',
    argumentsJson: '{"invoice":"42"}',
    argumentsTruncated: false,
    ...overrides,
  }) as Approval;

describe('approval views', () => {
  it('show the arguments the agent gave beside the reason', () => {
    expect(renderApproval(approval())).toMatch(/^ARGUMENTS +\{"invoice":"42"\}$/m);
    const table = renderApprovalTable([approval()]);
    expect(table.split('\n')[0]).toMatch(/ARGUMENTS +REASON/);
    expect(table).toContain('{"invoice":"42"}');
  });

  it('say when the arguments were cut at 16384 characters', () => {
    const cut = renderApproval(approval({ argumentsJson: '{"note":"xxx', argumentsTruncated: true }));
    expect(cut).toMatch(/^ARGUMENTS +\{"note":"xxx … \(cut at 16384 characters\)$/m);
  });

  it('show a withdrawn approval with why', () => {
    const text = renderApproval(
      approval({ state: ApprovalState.WITHDRAWN, decisionReason: 'task t1 was cancelled before anyone decided' }),
    );
    expect(text).toMatch(/^STATE +WITHDRAWN$/m);
    expect(text).toMatch(/^DECISION REASON +task t1 was cancelled before anyone decided$/m);
  });
});
