import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '@aos/config';
import {
  metrics,
  metricsAddress,
  metricsListenAddress,
  metricsRegistry,
  serveMetrics,
  stopMetricsServer,
} from '../src/metrics';

afterEach(() => stopMetricsServer());

describe('AOS_METRICS_ADDR', () => {
  it('is off by default, and empty or `off` means no server', async () => {
    expect(loadConfig({}).AOS_METRICS_ADDR).toBe('off');
    expect(loadConfig({ AOS_METRICS_ADDR: '' }).AOS_METRICS_ADDR).toBe('off');
    for (const off of [undefined, '', ' ', 'off']) {
      expect(metricsListenAddress(off)).toBeUndefined();
      expect(await serveMetrics(off)).toBeUndefined();
    }
    expect(metricsAddress()).toBeUndefined();
    // Off, the counters still count (an increment each), but no default process metrics are collected.
    metrics.runs.inc({ outcome: 'succeeded' });
    const text = await metricsRegistry.metrics();
    expect(text).toMatch(/^aos_runs_total\{outcome="succeeded"\} [1-9]/m);
    expect(text).not.toContain('process_cpu_seconds_total');
  });

  it('a bad address is refused naming the variable', () => {
    expect(() => loadConfig({ AOS_METRICS_ADDR: 'nine' })).toThrow(/AOS_METRICS_ADDR/);
    expect(() => loadConfig({ AOS_METRICS_PORT_BASE: '0' })).toThrow(/AOS_METRICS_PORT_BASE/);
  });

  it('on, serves GET /metrics once per process (a second call shares it) and 404 elsewhere', async () => {
    const address = await serveMetrics('127.0.0.1:0');
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await serveMetrics('127.0.0.1:0')).toBe(address);
    expect(metricsAddress()).toBe(address);
    const res = await fetch(`http://${address}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('# TYPE aos_nats_requests_total counter');
    expect(text).toContain('# TYPE aos_event_append_duration_seconds histogram');
    expect(text).toContain('process_cpu_seconds_total');
    expect((await fetch(`http://${address}/`)).status).toBe(404);
    expect((await fetch(`http://${address}/metrics`, { method: 'POST' })).status).toBe(404);
  });
});
