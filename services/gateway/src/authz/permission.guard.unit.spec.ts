import { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { GrpcMethod } from '@nestjs/microservices';
import { beforeEach, describe, expect, it } from 'vitest';
import { AccessModel, type AccessModelSubscription } from '@aos/access-control';
import { PermissionDeniedError, UnauthenticatedError } from '@aos/errors';
import { AccessModelFeed } from '../access-model.feed';
import type { Authenticator, Caller } from '../auth/authenticator';
import { CallContextResolver } from '../call-context.resolver';
import { PermissionGuard } from './permission.guard';
import { RequiresPermission } from './permission.registry';
import { SyntheticGovernanceLog } from './synthetic-governance-log';

const TENANT = 't1';

/** A controller as the generated `@AgentServiceControllerMethods()` would decorate it, one method undeclared. */
@Controller()
class ProbeController {
  @RequiresPermission('agents.get')
  getAgent(): void {}

  @RequiresPermission('system.tenants.list')
  listTenants(): void {}

  // Deliberately no @RequiresPermission: must be refused for everyone.
  retireAgent(): void {}
}
GrpcMethod('AgentService', 'getAgent')(
  ProbeController.prototype,
  'getAgent',
  Object.getOwnPropertyDescriptor(ProbeController.prototype, 'getAgent')!,
);
GrpcMethod('GovernanceService', 'listTenants')(
  ProbeController.prototype,
  'listTenants',
  Object.getOwnPropertyDescriptor(ProbeController.prototype, 'listTenants')!,
);
GrpcMethod('AgentService', 'retireAgent')(
  ProbeController.prototype,
  'retireAgent',
  Object.getOwnPropertyDescriptor(ProbeController.prototype, 'retireAgent')!,
);

const idle: AccessModelSubscription = {
  subscriptions: [],
  caughtUp: Promise.resolve(),
  waitFor: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/** Authenticates every call as `as` (or refuses it when `as` is undefined). */
class FixedAuthenticator implements Authenticator {
  constructor(public as: Caller | undefined) {}
  authenticate(): Promise<Caller> {
    return this.as ? Promise.resolve(this.as) : Promise.reject(new UnauthenticatedError('no'));
  }
}

function callOf(method: keyof ProbeController, request: object = {}): ExecutionContextHost {
  const context = new ExecutionContextHost(
    [request, new Metadata()],
    ProbeController,
    ProbeController.prototype[method],
  );
  context.setType('rpc');
  return context;
}

describe('PermissionGuard', () => {
  let model: AccessModel;
  let log: SyntheticGovernanceLog;
  let authenticator: FixedAuthenticator;
  let guard: PermissionGuard;

  function principal(id: string, role: string | undefined, systemAdmin = false): Caller {
    log.append('principal', id, {
      type: 'PrincipalCreated',
      data: { principalId: id, kind: 'USER', name: id, oidcSubject: '', systemAdmin },
    });
    if (role) {
      log.append('policy', TENANT, {
        type: 'RoleAssigned',
        data: { bindingId: `b-${id}`, subject: `user:${id}`, role },
      });
    }
    const identity = model.identityForSubject(TENANT, `user:${id}`)!;
    return { identity, grantSubjects: [identity.subject] };
  }

  beforeEach(() => {
    model = new AccessModel();
    log = new SyntheticGovernanceLog(model, TENANT);
    log.append('tenant', TENANT, { type: 'TenantCreated', data: { tenantId: TENANT, displayName: TENANT } });
    authenticator = new FixedAuthenticator(undefined);
    guard = new PermissionGuard(new CallContextResolver(authenticator), new AccessModelFeed(model, idle));
  });

  it('authenticates first: an unauthenticated call is UNAUTHENTICATED even on an undeclared method', async () => {
    await expect(guard.canActivate(callOf('getAgent'))).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(guard.canActivate(callOf('retireAgent'))).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('refuses a method that declares no permission, even to a tenant-admin system administrator', async () => {
    authenticator.as = principal('root', 'tenant-admin', true);
    await expect(guard.canActivate(callOf('getAgent'))).resolves.toBe(true);
    const denied = guard.canActivate(callOf('retireAgent'));
    await expect(denied).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(denied).rejects.toThrow('AgentService.RetireAgent declares no permission');
  });

  it('allows what the caller’s role grants and names the permission when it refuses', async () => {
    authenticator.as = principal('vera', 'viewer');
    await expect(guard.canActivate(callOf('getAgent', { id: 'a1' }))).resolves.toBe(true);
    authenticator.as = principal('nora', undefined);
    await expect(guard.canActivate(callOf('getAgent', { id: 'a1' }))).rejects.toThrow(
      'user:nora lacks permission agents.get on agents/a1',
    );
  });

  it('checks AgentService calls against agents/<id>, so a rule on one agent applies to that agent only', async () => {
    authenticator.as = principal('vera', 'viewer');
    log.append('policy', TENANT, {
      type: 'PolicyRuleAdded',
      data: {
        ruleId: 'r1',
        subject: 'user:vera',
        action: 'agents.get',
        resource: 'agents/secret',
        effect: 'DENY',
        requiresApproval: false,
      },
    });
    await expect(guard.canActivate(callOf('getAgent', { id: 'secret' }))).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(guard.canActivate(callOf('getAgent', { id: 'other' }))).resolves.toBe(true);
  });

  it('grants system.* permissions to system administrators only, whatever their roles', async () => {
    authenticator.as = principal('admin', 'tenant-admin');
    await expect(guard.canActivate(callOf('listTenants'))).rejects.toThrow('lacks permission system.tenants.list');
    authenticator.as = principal('root', undefined, true);
    await expect(guard.canActivate(callOf('listTenants'))).resolves.toBe(true);
  });
});
