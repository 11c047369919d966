import type { GovernanceEvent } from '@aos/domain';
import { assertNever, AlreadyExistsError } from '@aos/errors';

/** The Tenant aggregate (stream `tenant-<tenantId>`): it only comes into being. */

export type TenantEvent = Extract<GovernanceEvent, { type: 'TenantCreated' }>;

export type TenantState = { status: 'NONE' } | { status: 'CREATED'; tenantId: string; displayName: string };

export const initialTenantState: TenantState = { status: 'NONE' };

export type CreateTenant = { type: 'CreateTenant'; tenantId: string; displayName: string };
export type TenantCommand = CreateTenant;

export function decideTenant(command: TenantCommand, state: TenantState): TenantEvent[] {
  switch (command.type) {
    case 'CreateTenant':
      if (state.status !== 'NONE') throw new AlreadyExistsError('tenant', 'tenant.id', command.tenantId);
      return [{ type: 'TenantCreated', data: { tenantId: command.tenantId, displayName: command.displayName } }];
    default:
      return assertNever(command.type);
  }
}

export function evolveTenant(state: TenantState, event: TenantEvent): TenantState {
  switch (event.type) {
    case 'TenantCreated':
      if (state.status !== 'NONE') throw new Error(`TenantCreated for existing tenant ${event.data.tenantId}`);
      return { status: 'CREATED', tenantId: event.data.tenantId, displayName: event.data.displayName };
    default:
      return assertNever(event.type);
  }
}
