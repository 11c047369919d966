import type { ApiKey } from '@aos/contracts';
import { renderKeyValues, renderTable, type Column } from './table';
import { formatEnum, formatTimestamp } from './values';

/* No view here takes a secret except renderCreatedApiKey: listing and revoking never see one. */

const API_KEY_COLUMNS: Column<ApiKey>[] = [
  { header: 'ID', value: (k) => k.id },
  { header: 'PREFIX', value: (k) => k.prefix },
  { header: 'PRINCIPAL', value: (k) => k.principalId },
  { header: 'STATE', value: (k) => formatEnum(k.state, 'API_KEY_') },
  { header: 'DESCRIPTION', value: (k) => k.description, maxWidth: 30 },
  { header: 'CREATED', value: (k) => formatTimestamp(k.createTime) },
  { header: 'EXPIRES', value: (k) => formatTimestamp(k.expireTime) || 'never' },
];

export function renderApiKeyTable(keys: readonly ApiKey[]): string {
  return keys.length === 0 ? 'No API keys found.\n' : renderTable(API_KEY_COLUMNS, keys);
}

function apiKeyPairs(key: ApiKey): [string, string][] {
  return [
    ['ID', key.id],
    ['PREFIX', key.prefix],
    ['PRINCIPAL', key.principalId],
    ['STATE', formatEnum(key.state, 'API_KEY_')],
    ['DESCRIPTION', key.description],
    ['TENANT', key.tenantId],
    ['CREATED BY', key.createdBy],
    ['CREATED', formatTimestamp(key.createTime)],
    ['EXPIRES', formatTimestamp(key.expireTime) || 'never'],
    ['REVOKED', formatTimestamp(key.revokeTime)],
    ['LOG POSITION', String(key.logPosition)],
  ];
}

export function renderApiKey(key: ApiKey): string {
  return renderKeyValues(apiKeyPairs(key));
}

/** The CreateApiKey reply: the key, then its secret (empty when the request was a retry). */
export function renderCreatedApiKey(key: ApiKey | undefined, secret: string): string {
  return renderKeyValues([...(key ? apiKeyPairs(key) : []), ['SECRET', secret]]);
}
