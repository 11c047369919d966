import type { Approval } from '@aos/contracts';
import { idsAsTheyAre, labelSubject, type IdLabels } from './id-labels';
import { renderKeyValues, renderTable, type Column } from './table';
import { formatEnum, formatTimestamp } from './values';

const approvalColumns = (labels: IdLabels): Column<Approval>[] => [
  { header: 'ID', value: (a) => a.id },
  { header: 'STATE', value: (a) => formatEnum(a.state) },
  { header: 'SUBJECT', value: (a) => labelSubject(a.subject, labels) },
  { header: 'ACTION', value: (a) => a.action },
  { header: 'RESOURCE', value: (a) => a.resource, maxWidth: 30 },
  { header: 'ARGUMENTS', value: (a) => a.argumentsJson, maxWidth: 40 },
  { header: 'REASON', value: (a) => a.reason, maxWidth: 40 },
  { header: 'CREATED', value: (a) => formatTimestamp(a.createTime) },
  { header: 'EXPIRES', value: (a) => formatTimestamp(a.expireTime) },
];

/** The action's input as the agent gave it, said to be cut when governance kept only its first 16384 characters. */
function argumentsOf(approval: Approval): string {
  return approval.argumentsTruncated ? `${approval.argumentsJson} … (cut at 16384 characters)` : approval.argumentsJson;
}

/** Who asked and who decided: the subjects an approval view prints, for their names. */
export function approvalSubjects(approvals: readonly Approval[]): string[] {
  return approvals.flatMap((a) => [a.subject, a.decidedBy]);
}

/** `labels` prints the requester's name beside its id. */
export function renderApprovalTable(approvals: readonly Approval[], labels: IdLabels = idsAsTheyAre): string {
  return approvals.length === 0 ? 'No approvals found.\n' : renderTable(approvalColumns(labels), approvals);
}

export function renderApproval(approval: Approval, labels: IdLabels = idsAsTheyAre): string {
  return renderKeyValues([
    ['ID', approval.id],
    ['STATE', formatEnum(approval.state)],
    ['SUBJECT', labelSubject(approval.subject, labels)],
    ['ACTION', approval.action],
    ['RESOURCE', approval.resource],
    ['ARGUMENTS', argumentsOf(approval)],
    ['REASON', approval.reason],
    ['DECIDED BY', labelSubject(approval.decidedBy, labels)],
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
