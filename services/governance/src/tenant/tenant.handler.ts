import type { CreateTenantResponse, ListTenantsResponse } from '@aos/contracts';
import type { RequestContext } from '@aos/messaging';
import type { GovernanceDeps } from '../governance.deps';
import { toProtoTenant } from '../governance.mapper';
import { encodePageToken, pageOf } from '../governance.request';
import { provisionTenant } from './tenant.provisioner';
import type { CreateTenantCommand, ListTenantsQuery } from './tenant.validation';

/** CreateTenant and ListTenants. Who may call them (system administrators) is decided at the gateway. */
export class TenantHandler {
  constructor(private readonly deps: GovernanceDeps) {}

  create(ctx: RequestContext, command: CreateTenantCommand): Promise<CreateTenantResponse> {
    // Of two requests for one tenant id the tenant stream's `no_stream` lets one win, in any instance.
    return provisionTenant(this.deps, ctx, { ...command, systemAdmin: false });
  }

  async list(_ctx: RequestContext, query: ListTenantsQuery): Promise<ListTenantsResponse> {
    await this.deps.pipeline.reach(0);
    const tenants = [...this.deps.access.tenants()].sort((a, b) => a.logPosition - b.logPosition);
    const { page, nextAfter } = pageOf(tenants, (t) => t.logPosition, query.after, query.pageSize);
    return {
      tenants: page.map(toProtoTenant),
      nextPageToken: nextAfter === undefined ? '' : encodePageToken('ListTenants', nextAfter),
    };
  }
}
