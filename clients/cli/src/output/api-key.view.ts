import type { ApiKey } from '@aos/contracts';
import { idsAsTheyAre, labelSubject, subjectRefs, type IdLabels, type NamedKind } from './id-labels';
import { renderKeyValues, renderTable, type Column } from './table';
import { formatEnum, formatTimestamp } from './values';

/* No view here takes a secret except renderCreatedApiKey: listing and revoking never see one. */

const apiKeyColumns = (labels: IdLabels): Column<ApiKey>[] => [
  { header: 'ID', value: (k) => k.id },
  { header: 'PREFIX', value: (k) => k.prefix },
  { header: 'PRINCIPAL', value: (k) => labels('principal', k.principalId) },
  { header: 'STATE', value: (k) => formatEnum(k.state, 'API_KEY_') },
  { header: 'DESCRIPTION', value: (k) => k.description, maxWidth: 30 },
  { header: 'CREATED', value: (k) => formatTimestamp(k.createTime) },
  { header: 'EXPIRES', value: (k) => formatTimestamp(k.expireTime) || 'never' },
];

/** The ids a key's table row shows (its principal) or, with `creator`, its full view too. */
export function apiKeyRefs(keys: readonly ApiKey[], creator = false): [NamedKind, string][] {
  return keys.flatMap((k) => [
    ['principal', k.principalId] as [NamedKind, string],
    ...(creator ? subjectRefs([k.createdBy]) : []),
  ]);
}

/** `labels` prints each key's principal with its name. */
export function renderApiKeyTable(keys: readonly ApiKey[], labels: IdLabels = idsAsTheyAre): string {
  return keys.length === 0 ? 'No API keys found.\n' : renderTable(apiKeyColumns(labels), keys);
}

function apiKeyPairs(key: ApiKey, labels: IdLabels): [string, string][] {
  return [
    ['ID', key.id],
    ['PREFIX', key.prefix],
    ['PRINCIPAL', labels('principal', key.principalId)],
    ['STATE', formatEnum(key.state, 'API_KEY_')],
    ['DESCRIPTION', key.description],
    ['TENANT', key.tenantId],
    ['CREATED BY', labelSubject(key.createdBy, labels)],
    ['CREATED', formatTimestamp(key.createTime)],
    ['EXPIRES', formatTimestamp(key.expireTime) || 'never'],
    ['REVOKED', formatTimestamp(key.revokeTime)],
    ['LOG POSITION', String(key.logPosition)],
  ];
}

export function renderApiKey(key: ApiKey, labels: IdLabels = idsAsTheyAre): string {
  return renderKeyValues(apiKeyPairs(key, labels));
}

/** The CreateApiKey reply: the key, then its secret (empty when the request was a retry). */
export function renderCreatedApiKey(key: ApiKey | undefined, secret: string, labels: IdLabels = idsAsTheyAre): string {
  return renderKeyValues([...(key ? apiKeyPairs(key, labels) : []), ['SECRET', secret]]);
}
