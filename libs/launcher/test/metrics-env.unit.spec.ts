import { describe, expect, it } from 'vitest';
import { metricsEnv } from '../src/stack';

describe("the launcher's metrics address of its N-th process", () => {
  it('is 127.0.0.1:<AOS_METRICS_PORT_BASE + N> when only the base is set', () => {
    expect([0, 1, 7].map((n) => metricsEnv({ AOS_METRICS_PORT_BASE: '9460' }, n))).toEqual([
      { AOS_METRICS_ADDR: '127.0.0.1:9460' },
      { AOS_METRICS_ADDR: '127.0.0.1:9461' },
      { AOS_METRICS_ADDR: '127.0.0.1:9467' },
    ]);
  });

  it('leaves a set AOS_METRICS_ADDR to every process, and sets nothing without a base', () => {
    expect(metricsEnv({ AOS_METRICS_PORT_BASE: '9460', AOS_METRICS_ADDR: '127.0.0.1:0' }, 3)).toEqual({});
    expect(metricsEnv({ AOS_METRICS_PORT_BASE: '9460', AOS_METRICS_ADDR: 'off' }, 3)).toEqual({});
    expect(metricsEnv({}, 3)).toEqual({});
    expect(metricsEnv({ AOS_METRICS_PORT_BASE: '' }, 3)).toEqual({});
  });
});
