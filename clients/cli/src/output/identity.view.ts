import type { CreateTenantResponse, Principal, Tenant, WhoAmIResponse } from '@aos/contracts';
import { renderKeyValues, renderTable, type Column } from './table';
import { formatEnum, formatList, formatTimestamp } from './values';

const TENANT_COLUMNS: Column<Tenant>[] = [
  { header: 'ID', value: (t) => t.id },
  { header: 'DISPLAY NAME', value: (t) => t.displayName, maxWidth: 40 },
  { header: 'CREATED BY', value: (t) => t.createdBy },
  { header: 'CREATED', value: (t) => formatTimestamp(t.createTime) },
];

export function renderTenantTable(tenants: readonly Tenant[]): string {
  return tenants.length === 0 ? 'No tenants found.\n' : renderTable(TENANT_COLUMNS, tenants);
}

/**
 * The CreateTenant reply: the tenant, its admin and the admin key with its
 * secret (shown as '-' when the request was a retry and the reply has none).
 */
export function renderCreatedTenant(reply: CreateTenantResponse): string {
  const { tenant, admin, adminApiKey } = reply;
  return renderKeyValues([
    ['TENANT', tenant?.id ?? ''],
    ['DISPLAY NAME', tenant?.displayName ?? ''],
    ['ADMIN', admin ? `${admin.name} (${admin.subject})` : ''],
    ['ADMIN KEY ID', adminApiKey?.id ?? ''],
    ['ADMIN KEY PREFIX', adminApiKey?.prefix ?? ''],
    ['ADMIN KEY SECRET', reply.adminApiKeySecret],
    ['CREATED BY', tenant?.createdBy ?? ''],
    ['CREATED', formatTimestamp(tenant?.createTime)],
    ['LOG POSITION', String(tenant?.logPosition ?? '')],
  ]);
}

const PRINCIPAL_COLUMNS: Column<Principal>[] = [
  { header: 'ID', value: (p) => p.id },
  { header: 'KIND', value: (p) => formatEnum(p.kind) },
  { header: 'NAME', value: (p) => p.name, maxWidth: 40 },
  { header: 'SUBJECT', value: (p) => p.subject },
  { header: 'OIDC SUBJECT', value: (p) => p.oidcSubject, maxWidth: 30 },
  { header: 'CREATED', value: (p) => formatTimestamp(p.createTime) },
];

export function renderPrincipalTable(principals: readonly Principal[]): string {
  return principals.length === 0 ? 'No principals found.\n' : renderTable(PRINCIPAL_COLUMNS, principals);
}

export function renderPrincipal(principal: Principal): string {
  return renderKeyValues([
    ['ID', principal.id],
    ['KIND', formatEnum(principal.kind)],
    ['NAME', principal.name],
    ['SUBJECT', principal.subject],
    ['OIDC SUBJECT', principal.oidcSubject],
    ['TENANT', principal.tenantId],
    ['REVISION', String(principal.revision)],
    ['CREATED BY', principal.createdBy],
    ['CREATED', formatTimestamp(principal.createTime)],
    ['LOG POSITION', String(principal.logPosition)],
  ]);
}

export function renderWhoAmI(me: WhoAmIResponse): string {
  return renderKeyValues([
    ['TENANT', me.tenantId],
    ['SUBJECT', me.subject],
    ['PRINCIPAL', me.principal ? `${me.principal.name} (${me.principal.id})` : ''],
    ['KIND', formatEnum(me.principal?.kind)],
    ['ROLES', formatList(me.roles)],
    ['AUTHENTICATION', me.authentication],
  ]);
}
