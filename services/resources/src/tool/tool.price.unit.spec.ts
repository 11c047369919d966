import { describe, expect, it } from 'vitest';
import type { RegisterToolRequest } from '@aos/contracts';
import { AosError } from '@aos/errors';
import { validateRegisterTool } from './tool.validation';

/** A RegisterTool body as it may arrive over NATS from any client, with `priceMicros` as given. */
function body(priceMicros: unknown): RegisterToolRequest {
  return {
    requestId: 'r1',
    tool: {
      name: 'lookup',
      risk: 'READ',
      http: { endpoint: 'https://api.example.com/lookup', method: 'POST' },
      ...(priceMicros === undefined ? {} : { priceMicros }),
    },
  } as unknown as RegisterToolRequest;
}

describe('RegisterTool price_micros', () => {
  it('is 0 (free) when absent or null, and taken as given from 0 to 1,000,000,000,000 micros', () => {
    expect(validateRegisterTool(body(undefined)).priceMicros).toBe(0);
    expect(validateRegisterTool(body(null)).priceMicros).toBe(0);
    expect(validateRegisterTool(body(50_000)).priceMicros).toBe(50_000);
    expect(validateRegisterTool(body(1_000_000_000_000)).priceMicros).toBe(1_000_000_000_000);
  });

  it.each([-1, 1.5, 1_000_000_000_001, '50000', true, {}])('%j is INVALID_ARGUMENT naming tool.price_micros', (p) => {
    let caught: unknown;
    try {
      validateRegisterTool(body(p));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AosError);
    expect(caught).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'tool.price_micros' });
  });
});
