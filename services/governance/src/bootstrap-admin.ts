import type { AosConfig } from '@aos/config';
import type { RequestContext } from '@aos/messaging';
import { resolveBootstrapKey } from './bootstrap-key';
import type { GovernanceDeps } from './governance.deps';
import { provisioned, provisionTenant } from './tenant/tenant.provisioner';

/** The request id of the bootstrap: it derives the admin's and the key's ids, the same on every start. */
export const BOOTSTRAP_REQUEST_ID = 'bootstrap';
const BOOTSTRAP_CTX: Omit<RequestContext, 'tenantId'> = {
  actor: { kind: 'system', id: 'bootstrap' },
  correlationId: BOOTSTRAP_REQUEST_ID,
};

export interface BootstrapLogger {
  log(message: string, context?: string): void;
}

/**
 * Creates the default tenant with a system administrator holding the
 * bootstrap key, when the log has no tenant at all. A bootstrap that a crash
 * interrupted (the tenant recorded by the bootstrap, its admin or the
 * admin's key not) is completed on the next start; any other tenant in the
 * log means there is nothing to do. Logs where the key is, never the key.
 */
export async function bootstrapAdmin(
  deps: GovernanceDeps,
  config: Pick<AosConfig, 'AOS_BOOTSTRAP_API_KEY' | 'AOS_DEFAULT_TENANT' | 'dataDir'>,
  logger: BootstrapLogger,
): Promise<boolean> {
  const tenantId = config.AOS_DEFAULT_TENANT;
  if (deps.projection.tenantCount() > 0 && !interrupted(deps, tenantId)) return false;
  const bootstrapKey = resolveBootstrapKey(config);
  await provisionTenant(
    deps,
    { ...BOOTSTRAP_CTX, tenantId },
    {
      tenantId,
      displayName: 'Default tenant',
      adminName: 'admin',
      systemAdmin: true,
      requestId: BOOTSTRAP_REQUEST_ID,
      adminKey: bootstrapKey.key,
    },
  );
  const where = bootstrapKey.source === 'env' ? 'the key in AOS_BOOTSTRAP_API_KEY' : `the key in ${bootstrapKey.path}`;
  logger.log(`created tenant ${tenantId} with its admin; authenticate with ${where}`, 'governance');
  return true;
}

function interrupted(deps: GovernanceDeps, tenantId: string): boolean {
  const tenant = deps.projection.tenant(tenantId);
  if (tenant?.requestId !== BOOTSTRAP_REQUEST_ID) return false;
  return !provisioned(deps, tenantId, BOOTSTRAP_REQUEST_ID);
}
