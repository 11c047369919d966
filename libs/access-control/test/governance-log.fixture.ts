import { randomUUID } from 'node:crypto';
import { GovernanceCategories, type GovernanceEventType } from '@aos/contracts';
import type { Actor, RecordedEvent } from '@aos/event-store';
import type { AccessModel } from '../src/access-model';

type Category = (typeof GovernanceCategories)[keyof typeof GovernanceCategories];

/**
 * An in-memory stand-in for the log in unit tests of the projection: it
 * numbers positions and stream revisions the way the store does and feeds
 * every event it records to the model, in order. (Integration tests use the
 * real JetStream store.)
 */
export class GovernanceLog {
  readonly events: RecordedEvent[] = [];
  private position = 0;
  private readonly revisions = new Map<string, number>();
  private readonly startTime = Date.parse('2025-01-01T00:00:00Z');

  constructor(private readonly model: AccessModel) {}

  record(
    tenantId: string,
    category: Category | string,
    streamId: string,
    type: GovernanceEventType | string,
    data: unknown,
    actor: Actor = { kind: 'user', id: 'admin' },
  ): RecordedEvent {
    const stream = `${category}-${streamId}`;
    const revision = (this.revisions.get(`${tenantId}/${stream}`) ?? -1) + 1;
    this.revisions.set(`${tenantId}/${stream}`, revision);
    this.position++;
    const event: RecordedEvent = {
      id: randomUUID(),
      type,
      data,
      metadata: { tenantId, actor, correlationId: 'c', causationId: 'r', requestId: 'r', schemaVersion: 1 },
      stream,
      category,
      streamId,
      revision,
      position: this.position,
      time: new Date(this.startTime + this.position * 1000).toISOString(),
    };
    this.events.push(event);
    this.model.apply(event);
    return event;
  }

  tenant(tenantId: string, displayName = tenantId): RecordedEvent {
    return this.record(tenantId, GovernanceCategories.tenant, tenantId, 'TenantCreated', { tenantId, displayName });
  }

  principal(
    tenantId: string,
    principalId: string,
    options: { kind?: 'USER' | 'SERVICE'; name?: string; oidcSubject?: string; systemAdmin?: boolean } = {},
  ): RecordedEvent {
    return this.record(tenantId, GovernanceCategories.principal, principalId, 'PrincipalCreated', {
      principalId,
      kind: options.kind ?? 'USER',
      name: options.name ?? principalId,
      oidcSubject: options.oidcSubject ?? '',
      systemAdmin: options.systemAdmin ?? false,
    });
  }

  apiKey(
    tenantId: string,
    principalId: string,
    keyId: string,
    prefix: string,
    hash: string,
    expireTime: string | null = null,
  ): RecordedEvent {
    return this.record(tenantId, GovernanceCategories.principal, principalId, 'ApiKeyCreated', {
      keyId,
      principalId,
      prefix,
      hash,
      description: `key ${keyId}`,
      expireTime,
    });
  }

  revokeKey(tenantId: string, principalId: string, keyId: string): RecordedEvent {
    return this.record(tenantId, GovernanceCategories.principal, principalId, 'ApiKeyRevoked', { keyId, principalId });
  }

  defineRole(tenantId: string, role: string, permissions: string[]): RecordedEvent {
    return this.record(tenantId, GovernanceCategories.policy, tenantId, 'RoleDefined', {
      role,
      permissions,
      description: `custom ${role}`,
    });
  }

  assign(tenantId: string, bindingId: string, subject: string, role: string): RecordedEvent {
    return this.record(tenantId, GovernanceCategories.policy, tenantId, 'RoleAssigned', { bindingId, subject, role });
  }

  revokeRole(tenantId: string, bindingId: string, subject: string, role: string): RecordedEvent {
    return this.record(tenantId, GovernanceCategories.policy, tenantId, 'RoleRevoked', { bindingId, subject, role });
  }

  rule(
    tenantId: string,
    ruleId: string,
    subject: string,
    action: string,
    resource: string,
    effect: 'ALLOW' | 'DENY' = 'ALLOW',
    requiresApproval = false,
  ): RecordedEvent {
    return this.record(tenantId, GovernanceCategories.policy, tenantId, 'PolicyRuleAdded', {
      ruleId,
      subject,
      action,
      resource,
      effect,
      requiresApproval,
    });
  }

  removeRule(tenantId: string, ruleId: string): RecordedEvent {
    return this.record(tenantId, GovernanceCategories.policy, tenantId, 'PolicyRuleRemoved', { ruleId });
  }
}
