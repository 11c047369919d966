import { describe, expect, it } from 'vitest';
import { decideTenant, evolveTenant, initialTenantState, type TenantEvent } from './tenant.decider';

const given = (events: TenantEvent[]) => events.reduce(evolveTenant, initialTenantState);
const created: TenantEvent = { type: 'TenantCreated', data: { tenantId: 'acme', displayName: 'Acme' } };

describe('tenant decider', () => {
  it('creates a tenant that does not exist', () => {
    expect(decideTenant({ type: 'CreateTenant', tenantId: 'acme', displayName: 'Acme' }, given([]))).toEqual([created]);
  });

  it('refuses an existing tenant id with ALREADY_EXISTS', () => {
    expect(() =>
      decideTenant({ type: 'CreateTenant', tenantId: 'acme', displayName: 'Other' }, given([created])),
    ).toThrow(expect.objectContaining({ code: 'ALREADY_EXISTS', field: 'tenant.id' }));
  });

  it('evolves to CREATED', () => {
    expect(given([created])).toEqual({ status: 'CREATED', tenantId: 'acme', displayName: 'Acme' });
  });
});
