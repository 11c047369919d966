export { startGovernance } from './bootstrap';
export type { GovernanceService, StartGovernanceOptions } from './bootstrap';
export { resolveBootstrapKey, BOOTSTRAP_KEY_FILE, BootstrapKeyFileError } from './bootstrap-key';
export type { BootstrapKey } from './bootstrap-key';
export type { RequestApprovalBody } from './approval/approval.validation';
export type { RecordUsageBody } from './budget/budget.validation';
export type { RecordUsageReply } from './budget/budget.handler';
