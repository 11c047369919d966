import type { GovernanceEvent } from '@aos/domain';
import {
  assertNever,
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from '@aos/errors';

/**
 * The Principal aggregate (stream `principal-<principalId>`): a user or
 * service account and its API keys. Keys live in their principal's stream so
 * that a principal and its keys change under one revision. No event and no
 * state ever holds a key's secret: only its public prefix and scrypt hash.
 */

export type PrincipalEvent = Extract<GovernanceEvent, { type: 'PrincipalCreated' | 'ApiKeyCreated' | 'ApiKeyRevoked' }>;
export type PrincipalKindName = 'USER' | 'SERVICE';

export interface KeyState {
  keyId: string;
  status: 'ACTIVE' | 'REVOKED';
  /** ISO time, or null for a key that never expires. */
  expireTime: string | null;
}

export interface ExistingPrincipal {
  status: 'ACTIVE';
  principalId: string;
  kind: PrincipalKindName;
  name: string;
  oidcSubject: string;
  systemAdmin: boolean;
  keys: ReadonlyMap<string, KeyState>;
}

export type PrincipalState = { status: 'NONE' } | ExistingPrincipal;

export const initialPrincipalState: PrincipalState = { status: 'NONE' };

export type CreatePrincipal = {
  type: 'CreatePrincipal';
  principalId: string;
  kind: PrincipalKindName;
  name: string;
  oidcSubject: string;
  systemAdmin: boolean;
  /** The id of the tenant's principal that holds `name` now, if any: names are unique per tenant. */
  nameHolder: string | undefined;
  /** The id of the tenant's principal that signs in with `oidcSubject`, if any: one principal per OIDC subject. */
  oidcSubjectHolder: string | undefined;
};
export type CreateApiKey = {
  type: 'CreateApiKey';
  principalId: string;
  keyId: string;
  prefix: string;
  hash: string;
  description: string;
  expireTime: string | null;
  now: string;
};
export type RevokeApiKey = { type: 'RevokeApiKey'; principalId: string; keyId: string };
export type PrincipalCommand = CreatePrincipal | CreateApiKey | RevokeApiKey;

export function decidePrincipal(command: PrincipalCommand, state: PrincipalState): PrincipalEvent[] {
  if (command.type === 'CreatePrincipal') return decideCreate(command, state);
  if (state.status === 'NONE') throw new NotFoundError('principal', command.principalId);
  switch (command.type) {
    case 'CreateApiKey':
      return decideCreateKey(command, state);
    case 'RevokeApiKey': {
      const key = state.keys.get(command.keyId);
      if (!key) throw new NotFoundError('api key', command.keyId);
      if (key.status === 'REVOKED') throw new FailedPreconditionError(`api key ${command.keyId} is already revoked`);
      return [{ type: 'ApiKeyRevoked', data: { keyId: command.keyId, principalId: state.principalId } }];
    }
    default:
      return assertNever(command);
  }
}

function decideCreate(command: CreatePrincipal, state: PrincipalState): PrincipalEvent[] {
  if (state.status !== 'NONE') throw new AlreadyExistsError('principal', 'principal.id', command.principalId);
  if (command.nameHolder !== undefined && command.nameHolder !== command.principalId) {
    throw new AlreadyExistsError('principal', 'principal.name', command.name);
  }
  if (
    command.oidcSubject &&
    command.oidcSubjectHolder !== undefined &&
    command.oidcSubjectHolder !== command.principalId
  ) {
    throw new AlreadyExistsError('principal', 'principal.oidc_subject', command.oidcSubject);
  }
  const { principalId, kind, name, oidcSubject, systemAdmin } = command;
  return [{ type: 'PrincipalCreated', data: { principalId, kind, name, oidcSubject, systemAdmin } }];
}

function decideCreateKey(command: CreateApiKey, state: ExistingPrincipal): PrincipalEvent[] {
  if (state.keys.has(command.keyId)) throw new AlreadyExistsError('api key', 'id', command.keyId);
  if (command.expireTime !== null && Date.parse(command.expireTime) <= Date.parse(command.now)) {
    throw new InvalidArgumentError('expire_time', 'must be in the future');
  }
  const { keyId, prefix, hash, description, expireTime } = command;
  return [
    { type: 'ApiKeyCreated', data: { keyId, principalId: state.principalId, prefix, hash, description, expireTime } },
  ];
}

export function evolvePrincipal(state: PrincipalState, event: PrincipalEvent): PrincipalState {
  if (event.type === 'PrincipalCreated') {
    if (state.status !== 'NONE') throw new Error(`PrincipalCreated for existing principal ${event.data.principalId}`);
    const { principalId, kind, name, oidcSubject, systemAdmin } = event.data;
    return { status: 'ACTIVE', principalId, kind, name, oidcSubject, systemAdmin, keys: new Map() };
  }
  if (state.status === 'NONE')
    throw new Error(`${event.type} for principal ${event.data.principalId} before PrincipalCreated`);
  switch (event.type) {
    case 'ApiKeyCreated': {
      const keys = new Map(state.keys);
      keys.set(event.data.keyId, { keyId: event.data.keyId, status: 'ACTIVE', expireTime: event.data.expireTime });
      return { ...state, keys };
    }
    case 'ApiKeyRevoked': {
      const key = state.keys.get(event.data.keyId);
      if (!key) throw new Error(`ApiKeyRevoked for unknown key ${event.data.keyId}`);
      const keys = new Map(state.keys);
      keys.set(key.keyId, { ...key, status: 'REVOKED' });
      return { ...state, keys };
    }
    default:
      return assertNever(event);
  }
}
