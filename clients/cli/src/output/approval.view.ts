import type { Approval } from '@aos/contracts';
import { renderKeyValues, renderTable, type Column } from './table';
import { formatEnum, formatTimestamp } from './values';

const APPROVAL_COLUMNS: Column<Approval>[] = [
  { header: 'ID', value: (a) => a.id },
  { header: 'STATE', value: (a) => formatEnum(a.state) },
  { header: 'SUBJECT', value: (a) => a.subject },
  { header: 'ACTION', value: (a) => a.action },
  { header: 'RESOURCE', value: (a) => a.resource, maxWidth: 30 },
  { header: 'REASON', value: (a) => a.reason, maxWidth: 40 },
  { header: 'CREATED', value: (a) => formatTimestamp(a.createTime) },
  { header: 'EXPIRES', value: (a) => formatTimestamp(a.expireTime) },
];

export function renderApprovalTable(approvals: readonly Approval[]): string {
  return approvals.length === 0 ? 'No approvals found.\n' : renderTable(APPROVAL_COLUMNS, approvals);
}

export function renderApproval(approval: Approval): string {
  return renderKeyValues([
    ['ID', approval.id],
    ['STATE', formatEnum(approval.state)],
    ['SUBJECT', approval.subject],
    ['ACTION', approval.action],
    ['RESOURCE', approval.resource],
    ['REASON', approval.reason],
    ['DECIDED BY', approval.decidedBy],
    ['DECISION REASON', approval.decisionReason],
    ['DECIDED', formatTimestamp(approval.decideTime)],
    ['CORRELATION ID', approval.correlationId],
    ['TENANT', approval.tenantId],
    ['CREATED', formatTimestamp(approval.createTime)],
    ['EXPIRES', formatTimestamp(approval.expireTime)],
    ['REVISION', String(approval.revision)],
    ['LOG POSITION', String(approval.logPosition)],
  ]);
}
