import type { CreateTenantRequest, ListTenantsRequest } from '@aos/contracts';
import { InvalidArgumentError } from '@aos/errors';
import {
  LIMITS,
  TENANT_ID,
  decodePageToken,
  requireBody,
  validateName,
  validatePageSize,
  validateRequestId,
  validateText,
} from '../governance.request';

export interface CreateTenantCommand {
  tenantId: string;
  displayName: string;
  adminName: string;
  requestId: string;
}

export interface ListTenantsQuery {
  pageSize: number;
  after: number;
}

export const DEFAULT_ADMIN_NAME = 'admin';

export function validateCreateTenant(body: CreateTenantRequest | undefined): CreateTenantCommand {
  const request = requireBody(body);
  const requestId = validateRequestId(request.requestId);
  const tenant = request.tenant;
  if (!tenant || typeof tenant !== 'object') throw new InvalidArgumentError('tenant', 'is required');
  if (typeof tenant.id !== 'string' || !TENANT_ID.test(tenant.id)) {
    throw new InvalidArgumentError(
      'tenant.id',
      'must be 1-63 characters of [a-z0-9-], starting with a letter or digit',
    );
  }
  const adminName =
    request.adminName === undefined || request.adminName === ''
      ? DEFAULT_ADMIN_NAME
      : validateName('admin_name', request.adminName);
  return {
    tenantId: tenant.id,
    displayName: validateText('tenant.display_name', tenant.displayName, LIMITS.displayName),
    adminName,
    requestId,
  };
}

export function validateListTenants(body: ListTenantsRequest | undefined): ListTenantsQuery {
  const request = requireBody(body);
  return { pageSize: validatePageSize(request.pageSize), after: decodePageToken(request.pageToken, 'ListTenants') };
}
