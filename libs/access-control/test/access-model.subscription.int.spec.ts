import { randomUUID } from 'node:crypto';
import { createJetStreamEventStore, type EventStore, type NewEvent } from '@aos/event-store';
import { startNatsServer, type NatsServerHandle } from '@aos/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessModel, AccessModelError } from '../src/access-model';
import { subscribeAccessModel, type AccessModelSubscription } from '../src/access-model.subscription';
import { generateApiKey, hashApiKey, type GeneratedApiKey } from '../src/api-key';

const TENANT = 'acme';

function event(type: string, data: unknown): NewEvent {
  return {
    id: randomUUID(),
    type,
    data,
    metadata: {
      tenantId: TENANT,
      actor: { kind: 'system', id: 'test' },
      correlationId: randomUUID(),
      causationId: randomUUID(),
      requestId: randomUUID(),
      schemaVersion: 1,
    },
  };
}

// The projection fed by a real JetStream log through the EventStore port.
describe('subscribeAccessModel (real nats-server, JetStream store)', () => {
  let server: NatsServerHandle;
  let store: EventStore;
  let key: GeneratedApiKey;
  let model: AccessModel;
  let subscription: AccessModelSubscription;
  const errors: unknown[] = [];
  const skipped: unknown[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    store = await createJetStreamEventStore({ servers: server.url });
    key = generateApiKey();
    // The log before the model starts: a bootstrap, with another service's event in between.
    await store.append({ tenantId: TENANT, category: 'tenant', id: TENANT }, [
      event('TenantCreated', { tenantId: TENANT, displayName: 'Acme' }),
    ]);
    await store.append({ tenantId: TENANT, category: 'agent', id: 'a1' }, [
      event('AgentCreated', { not: 'a governance event' }),
    ]);
    await store.append({ tenantId: TENANT, category: 'principal', id: 'alice' }, [
      event('PrincipalCreated', {
        principalId: 'alice',
        kind: 'USER',
        name: 'alice',
        oidcSubject: '',
        systemAdmin: true,
      }),
      event('ApiKeyCreated', {
        keyId: 'k1',
        principalId: 'alice',
        prefix: key.prefix,
        hash: await hashApiKey(key.full),
        description: 'bootstrap',
        expireTime: null,
      }),
    ]);
    await store.append({ tenantId: TENANT, category: 'policy', id: TENANT }, [
      event('RoleAssigned', { bindingId: 'b1', subject: 'user:alice', role: 'tenant-admin' }),
    ]);
    model = new AccessModel();
    subscription = subscribeAccessModel(
      store,
      model,
      (error) => errors.push(error),
      (error) => skipped.push(error),
    );
  });

  afterAll(async () => {
    await subscription?.close();
    await store?.close();
    await server?.stop();
  });

  it('catches up from position 0 with one subscription per category it needs', async () => {
    await subscription.caughtUp;
    expect(subscription.subscriptions).toHaveLength(3);
    expect(model.tenantExists(TENANT)).toBe(true);
    expect(await model.authenticateApiKey(key.full)).toMatchObject({
      subject: 'user:alice',
      roles: ['tenant-admin'],
      systemAdmin: true,
      keyId: 'k1',
    });
    expect(model.check(TENANT, 'user:alice', 'agents.create').decision).toBe('ALLOWED');
    expect(model.position).toBe(await store.headPosition());
  });

  it('follows the log live: after waitFor(position of a revoke), the key and binding are refused', async () => {
    await subscription.caughtUp;
    const revoked = await store.append({ tenantId: TENANT, category: 'policy', id: TENANT }, [
      event('RoleRevoked', { bindingId: 'b1', subject: 'user:alice', role: 'tenant-admin' }),
    ]);
    await subscription.waitFor(revoked.position, 5000);
    expect(model.check(TENANT, 'user:alice', 'agents.create').decision).toBe('DENIED');

    const keyRevoked = await store.append({ tenantId: TENANT, category: 'principal', id: 'alice' }, [
      event('ApiKeyRevoked', { keyId: 'k1', principalId: 'alice' }),
    ]);
    await subscription.waitFor(keyRevoked.position, 5000);
    await expect(model.authenticateApiKey(key.full)).rejects.toThrow('API key revoked');
  });

  it('waits for a position that belongs to another category, and never sees that category', async () => {
    await subscription.caughtUp;
    const before = model.position;
    const other = await store.append({ tenantId: TENANT, category: 'agent', id: 'a2' }, [event('AgentCreated', {})]);
    await subscription.waitFor(other.position, 5000);
    expect(model.position).toBe(before);
  });

  it('skips an event it cannot apply, reports it as skipped (not as a failure) and goes on', async () => {
    await subscription.caughtUp;
    await store.append({ tenantId: TENANT, category: 'policy', id: TENANT }, [
      event('RoleAssigned', { bindingId: 'broken' }),
    ]);
    const next = await store.append({ tenantId: TENANT, category: 'policy', id: TENANT }, [
      event('RoleAssigned', { bindingId: 'b2', subject: 'user:alice', role: 'viewer' }),
    ]);
    await subscription.waitFor(next.position, 5000);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toBeInstanceOf(AccessModelError);
    expect(errors).toEqual([]);
    expect(model.rolesOf(TENANT, 'user:alice')).toEqual(['viewer']);
  });
});
