import { randomUUID } from 'node:crypto';
import type { CreateApiKeyResponse, Principal, RoleBinding } from '@aos/contracts';
import type { GatewayCaller } from './gateway-caller';

export const rid = () => randomUUID();
export const unique = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

export interface KeyHolder {
  principal: Principal;
  key: string;
  keyId: string;
}

/** Creates (as `adminKey`) a user principal, binds it to `role` (if any) and gives it an API key. */
export async function principalWithKey(
  gateway: GatewayCaller,
  adminKey: string,
  options: { role?: string; name?: string; oidcSubject?: string; expireTime?: { seconds: number; nanos: number } } = {},
): Promise<KeyHolder> {
  const principal = await gateway.unary<Principal>(
    'GovernanceService',
    'CreatePrincipal',
    {
      principal: { kind: 'USER', name: options.name ?? unique('user'), oidcSubject: options.oidcSubject ?? '' },
      requestId: rid(),
    },
    adminKey,
  );
  if (options.role) {
    await gateway.unary<RoleBinding>(
      'GovernanceService',
      'AssignRole',
      { subject: principal.subject, role: options.role, requestId: rid() },
      adminKey,
    );
  }
  const created = await gateway.unary<CreateApiKeyResponse>(
    'GovernanceService',
    'CreateApiKey',
    { principalId: principal.id, description: 'e2e', requestId: rid(), expireTime: options.expireTime },
    adminKey,
  );
  return { principal, key: created.secret, keyId: created.apiKey!.id };
}
