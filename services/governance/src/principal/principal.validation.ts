import type {
  CreateApiKeyRequest,
  CreatePrincipalRequest,
  GetPrincipalRequest,
  ListApiKeysRequest,
  ListPrincipalsRequest,
  RevokeApiKeyRequest,
} from '@aos/contracts';
import { InvalidArgumentError } from '@aos/errors';
import {
  LIMITS,
  decodePageToken,
  requireBody,
  validateEnum,
  validateId,
  validateName,
  validatePageSize,
  validatePosition,
  validateRequestId,
  validateText,
  validateTimestamp,
} from '../governance.request';
import { validateIdOrName, type IdOrName } from '@aos/request-fields';
import type { PrincipalKindName } from './principal.decider';

export interface CreatePrincipalCommand {
  requestId: string;
  kind: PrincipalKindName;
  name: string;
  oidcSubject: string;
}
export interface CreateApiKeyCommand {
  requestId: string;
  principalId: string;
  description: string;
  expireTime: string | null;
}
export interface RevokeApiKeyCommand {
  requestId: string;
  keyId: string;
}
export interface GetPrincipalQuery {
  principal: IdOrName;
  minPosition: number;
}
export interface ListPrincipalsQuery {
  pageSize: number;
  after: number;
  minPosition: number;
}
export interface ListApiKeysQuery {
  principalId: string | undefined;
  minPosition: number;
}

export function validateCreatePrincipal(body: CreatePrincipalRequest | undefined): CreatePrincipalCommand {
  const request = requireBody(body);
  const requestId = validateRequestId(request.requestId);
  const principal = request.principal;
  if (!principal || typeof principal !== 'object') throw new InvalidArgumentError('principal', 'is required');
  const kind = validateEnum('principal.kind', principal.kind, ['USER', 'SERVICE'] as const);
  if (!kind) throw new InvalidArgumentError('principal.kind', 'is required (USER or SERVICE)');
  return {
    requestId,
    kind,
    name: validateName('principal.name', principal.name),
    oidcSubject: validateText('principal.oidc_subject', principal.oidcSubject, 255).trim(),
  };
}

export function validateGetPrincipal(body: GetPrincipalRequest | undefined): GetPrincipalQuery {
  const request = requireBody(body);
  return {
    principal: validateIdOrName(request.id, request.name),
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

export function validateListPrincipals(body: ListPrincipalsRequest | undefined): ListPrincipalsQuery {
  const request = requireBody(body);
  return {
    pageSize: validatePageSize(request.pageSize),
    after: decodePageToken(request.pageToken, 'ListPrincipals'),
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

export function validateCreateApiKey(body: CreateApiKeyRequest | undefined): CreateApiKeyCommand {
  const request = requireBody(body);
  return {
    requestId: validateRequestId(request.requestId),
    principalId: validateId('principal_id', request.principalId),
    description: validateText('description', request.description, LIMITS.description),
    expireTime: validateTimestamp('expire_time', request.expireTime) ?? null,
  };
}

export function validateListApiKeys(body: ListApiKeysRequest | undefined): ListApiKeysQuery {
  const request = requireBody(body);
  const principalId = request.principalId ? validateId('principal_id', request.principalId) : undefined;
  return { principalId, minPosition: validatePosition('min_position', request.minPosition) };
}

export function validateRevokeApiKey(body: RevokeApiKeyRequest | undefined): RevokeApiKeyCommand {
  const request = requireBody(body);
  return { requestId: validateRequestId(request.requestId), keyId: validateId('id', request.id) };
}
