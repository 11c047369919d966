import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '@aos/testing';
import {
  activeTraceparent,
  inSpan,
  readTraceContext,
  SpanKind,
  startTelemetry,
  tracerOf,
  writeTraceContext,
  type Telemetry,
} from '../src';

/**
 * The SDK as a process starts it (startTelemetry), exporting to a local OTLP
 * receiver over the real protocol (OTLP/HTTP, JSON): a span crossing a
 * carrier (as it crosses NATS) continues one trace.
 */
let receiver: OtlpReceiver;
let telemetry: Telemetry;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  Object.assign(process.env, receiver.env);
  delete process.env.OTEL_SERVICE_NAME;
  telemetry = await startTelemetry('unit');
});

afterAll(async () => {
  await telemetry?.shutdown();
  await receiver?.stop();
});

describe('startTelemetry with an OTLP endpoint', () => {
  it('exports the spans, as aos-<service>, with the parent a carrier passed on', async () => {
    expect(telemetry.enabled).toBe(true);
    const tracer = tracerOf('@aos/telemetry-test');
    const carrier = new Map<string, string>();
    let sent = '';
    await inSpan(tracer, 'send', { kind: SpanKind.CLIENT, attributes: { 'aos.tenant.id': 'acme' } }, async () => {
      sent = activeTraceparent() ?? '';
      writeTraceContext(carrier, (c, k, v) => void c.set(k, v));
    });
    expect(carrier.get('traceparent')).toBe(sent);
    const parent = readTraceContext(carrier, (c, k) => c.get(k));
    await expect(
      inSpan(tracer, 'process', { kind: SpanKind.SERVER, parent }, async () => {
        throw Object.assign(new Error('no such agent'), { code: 'NOT_FOUND' });
      }),
    ).rejects.toThrow('no such agent');

    const [send, process_] = await receiver.waitFor((spans) => {
      const s = spans.find((x) => x.name === 'send');
      const p = spans.find((x) => x.name === 'process');
      return s && p ? [s, p] : undefined;
    });
    expect(send.service).toBe('aos-unit');
    expect(send.scope).toBe('@aos/telemetry-test');
    expect(send.kind).toBe(3);
    expect(send.attributes['aos.tenant.id']).toBe('acme');
    expect(sent).toBe(`00-${send.traceId}-${send.spanId}-01`);
    expect(process_.traceId).toBe(send.traceId);
    expect(process_.parentSpanId).toBe(send.spanId);
    expect(process_.attributes['error.type']).toBe('NOT_FOUND');
    expect(process_.statusCode).toBe(2);
  });

  it('is started once per process (a second call is the same SDK)', async () => {
    expect(await startTelemetry('other')).toBe(telemetry);
  });
});
