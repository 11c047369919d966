export { startAudit, type AuditHandle } from './bootstrap';
export { AuditIndexProjection } from './audit-index.projection';
