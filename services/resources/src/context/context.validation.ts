import type { DeleteContextRequest, GetContextRequest, ListContextRequest, PutContextRequest } from '@aos/contracts';
import { InvalidArgumentError } from '@aos/errors';
import {
  decodeKeyPageToken,
  isNonNegativeInteger,
  requireBody,
  validateContextKey,
  validateContextKeyPrefix,
  validateContextScope,
  validateContextValue,
  validatePageSize,
  validatePosition,
  validateRequestId,
} from '@aos/request-fields';

/**
 * Turns the bodies that arrive over NATS (ts-proto request types, as
 * @grpc/proto-loader decoded them at the gateway, or from any NATS client)
 * into validated requests. Every error names the proto field in snake_case.
 */

export { validateRequestContext as validateContext } from '@aos/messaging';

export interface PutContextMutation {
  scope: string;
  key: string;
  valueJson: string;
  expectedVersion: number | undefined;
  requestId: string;
}
export interface DeleteContextMutation {
  scope: string;
  key: string;
  expectedVersion: number | undefined;
  requestId: string;
}
export interface GetContextQuery {
  scope: string;
  key: string;
  /** 0: the current version. */
  version: number;
  minPosition: number;
}
export interface ListContextQuery {
  scope: string;
  keyPrefix: string;
  pageSize: number;
  /** The last key of the previous page; '' for the first page. */
  afterKey: string;
  minPosition: number;
}

export function validatePutContext(body: PutContextRequest | undefined): PutContextMutation {
  const request = requireBody(body);
  const { scope, key, expectedVersion, requestId } = validateChange(request);
  return { scope, key, valueJson: validateContextValue(request.valueJson), expectedVersion, requestId };
}

export function validateDeleteContext(body: DeleteContextRequest | undefined): DeleteContextMutation {
  return validateChange(requireBody(body));
}

/** The fields every change of one entry has. */
function validateChange(request: DeleteContextRequest): DeleteContextMutation {
  return {
    scope: validateContextScope(request.scope),
    key: validateContextKey(request.key),
    expectedVersion: validateExpectedVersion(request.expectedVersion),
    requestId: validateRequestId(request.requestId),
  };
}

export function validateGetContext(body: GetContextRequest | undefined): GetContextQuery {
  const request = requireBody(body);
  return {
    scope: validateContextScope(request.scope),
    key: validateContextKey(request.key),
    version: validatePosition('version', request.version),
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

export function validateListContext(body: ListContextRequest | undefined): ListContextQuery {
  const request = requireBody(body);
  const scope = validateContextScope(request.scope);
  const keyPrefix = validateContextKeyPrefix(request.keyPrefix);
  return {
    scope,
    keyPrefix,
    pageSize: validatePageSize(request.pageSize),
    afterKey: decodeKeyPageToken(request.pageToken, 'ListContext', listFilterKey(scope, keyPrefix)),
    minPosition: validatePosition('min_position', request.minPosition),
  };
}

/** What a ListContext page token is bound to: its scope and prefix, so a token is not replayed under others. */
export function listFilterKey(scope: string, keyPrefix: string): string {
  return `${scope}\n${keyPrefix}`;
}

/** proto3 `optional int64`: proto-loader gives `undefined` or `null` when absent; both mean "no condition". */
function validateExpectedVersion(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isNonNegativeInteger(value))
    throw new InvalidArgumentError('expected_version', 'must be a non-negative integer');
  return value;
}
