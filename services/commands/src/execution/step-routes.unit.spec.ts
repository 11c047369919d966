import { describe, expect, it } from 'vitest';
import { PLAN_METHODS } from '@aos/command-language';
import { SERVICE_SUBJECTS } from '@aos/contracts';
import { permissionDeclarations } from '@aos/gateway';
import { takesRequestId } from './proto-json';
import { STEP_ROUTES, stepRoute } from './step-routes';

describe('where plan steps are sent', () => {
  it('every method of the catalog has an owner subject that a service answers (WhoAmI is answered here)', () => {
    const answered = new Set(SERVICE_SUBJECTS.map((s) => s.name));
    for (const { service, method } of PLAN_METHODS) {
      const route = stepRoute(service, method);
      expect(route, `${service}.${method}`).toBeDefined();
      if (route && 'subject' in route) expect(answered.has(route.subject.name), `${service}.${method}`).toBe(true);
      else expect(`${service}.${method}`).toBe('GovernanceService.WhoAmI');
    }
    expect(Object.keys(STEP_ROUTES).sort()).toEqual(PLAN_METHODS.map((m) => `${m.service}.${m.method}`).sort());
  });

  it('a step carries a derived request_id exactly when it changes something (its method takes one)', () => {
    for (const { service, method, risk } of PLAN_METHODS) {
      expect(takesRequestId(service, method), `${service}.${method}`).toBe(risk !== 'READ');
    }
  });

  it('each method needs the permission the gateway requires for a direct call of it', () => {
    const gateway = new Map(permissionDeclarations().map((d) => [`${d.service}.${d.method}`, d.permission]));
    for (const { service, method, permission } of PLAN_METHODS) {
      expect(gateway.get(`${service}.${method}`), `${service}.${method}`).toBe(permission);
    }
  });
});
