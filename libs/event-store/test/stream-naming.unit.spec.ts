import { describe, expect, it } from 'vitest';
import { esdbStreamName, esdbStreamRegex, parseEsdbStreamName } from '../src/esdb/esdb-stream-names';
import { filterSubject, parseSubject, subjectFor } from '../src/jetstream/subjects';

const ref = { tenantId: 'acme-eu', category: 'agent', id: 'A_1-x' };

describe('JetStream subjects', () => {
  it('maps a stream to one subject and back', () => {
    expect(subjectFor(ref)).toBe('aos.ev.acme-eu.agent.A_1-x');
    expect(parseSubject(subjectFor(ref))).toEqual({ tenantId: 'acme-eu', category: 'agent', streamId: 'A_1-x' });
    expect(parseSubject('aos.other.acme.agent.x')).toBeNull();
    expect(parseSubject('aos.ev.acme.agent')).toBeNull();
  });

  it('builds one filter subject, wildcarding what the filter leaves open', () => {
    expect(filterSubject(undefined)).toBe('aos.ev.>');
    expect(filterSubject({})).toBe('aos.ev.>');
    expect(filterSubject({ tenantId: 'acme' })).toBe('aos.ev.acme.*.*');
    expect(filterSubject({ category: 'task' })).toBe('aos.ev.*.task.*');
    expect(filterSubject({ tenantId: 'acme', category: 'task' })).toBe('aos.ev.acme.task.*');
  });
});

describe('EventStoreDB stream names', () => {
  it('puts the category first so $ce-<category> spans tenants, and parses back', () => {
    expect(esdbStreamName(ref)).toBe('agent-acme-eu.A_1-x');
    expect(parseEsdbStreamName('agent-acme-eu.A_1-x')).toEqual({
      category: 'agent',
      tenantId: 'acme-eu',
      streamId: 'A_1-x',
    });
    expect(parseEsdbStreamName('$stats-127.0.0.1')).toEqual(expect.objectContaining({ category: '$stats' }));
    expect(parseEsdbStreamName('nodash')).toBeNull();
  });

  it('filters to this adapter streams, by tenant and category, without matching prefixes', () => {
    const all = new RegExp(esdbStreamRegex(undefined));
    expect(all.test('agent-acme.a1')).toBe(true);
    expect(all.test('$ce-agent')).toBe(false);
    expect(all.test('$$agent-acme.a1')).toBe(false);
    expect(all.test('legacy')).toBe(false);

    const tenant = new RegExp(esdbStreamRegex({ tenantId: 'acme' }));
    expect(tenant.test('task-acme.t1')).toBe(true);
    expect(tenant.test('task-acme-eu.t1')).toBe(false);
    expect(tenant.test('task-acm.t1')).toBe(false);

    const category = new RegExp(esdbStreamRegex({ category: 'task' }));
    expect(category.test('task-acme.t1')).toBe(true);
    expect(category.test('taskx-acme.t1')).toBe(false);
    expect(category.test('agent-acme.t1')).toBe(false);

    const both = new RegExp(esdbStreamRegex({ tenantId: 'acme', category: 'task' }));
    expect(both.test('task-acme.t1')).toBe(true);
    expect(both.test('task-other.t1')).toBe(false);
  });
});
