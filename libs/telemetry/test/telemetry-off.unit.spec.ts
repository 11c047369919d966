import { context, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  activeTraceparent,
  hasTraceContext,
  inSpan,
  readTraceContext,
  startTelemetry,
  tracerOf,
  tracingRequested,
  writeTraceContext,
} from '../src';

const tracer = tracerOf('@aos/telemetry-test');
const read = (carrier: Map<string, string>, key: string) => carrier.get(key);
const write = (carrier: Map<string, string>, key: string, value: string) => void carrier.set(key, value);

describe('tracingRequested', () => {
  it('is off with no OTEL_* variables, and on only when an exporter or an OTLP endpoint is named', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_SERVICE_NAME: 'x', OTEL_BSP_SCHEDULE_DELAY: '100' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(
      false,
    );
    expect(tracingRequested({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(false);
    expect(tracingRequested({ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
  });
});

describe('with tracing off', () => {
  it('starts nothing: spans do not record, no trace context is written, no traceparent is made up', async () => {
    const telemetry = await startTelemetry('unit', {});
    expect(telemetry.enabled).toBe(false);
    const carrier = new Map<string, string>();
    let recording: boolean | undefined;
    let traceparent: string | undefined = 'unset';
    let written: boolean | undefined;
    const result = await inSpan(tracer, 'work', {}, async (span) => {
      recording = span.isRecording();
      traceparent = activeTraceparent();
      written = writeTraceContext(carrier, write);
      return 42;
    });
    expect(result).toBe(42);
    expect(recording).toBe(false);
    expect(traceparent).toBeUndefined();
    expect(written).toBe(false);
    expect(carrier.size).toBe(0);
    expect(hasTraceContext()).toBe(false);
    await telemetry.shutdown();
  });

  it("still passes a caller's trace context on (e.g. a gRPC caller's traceparent into the events)", () => {
    const incoming = new Map([['traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']]);
    const parent = readTraceContext(incoming, read);
    expect(activeTraceparent(parent)).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const out = new Map<string, string>();
    expect(writeTraceContext(out, write, parent)).toBe(true);
    expect(out.get('traceparent')).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    // A malformed traceparent is no parent at all.
    const bad = readTraceContext(new Map([['traceparent', '00-nothex-01']]), read);
    expect(trace.getSpan(bad)).toBeUndefined();
    expect(readTraceContext(undefined, read)).toBe(context.active());
  });

  it('costs next to nothing per span (a no-op span around an awaited call)', async () => {
    const work = async (n: number) => n + 1;
    const rounds = 200_000;
    const time = async (run: (i: number) => Promise<number>) => {
      const started = process.hrtime.bigint();
      for (let i = 0; i < rounds; i++) await run(i);
      return Number(process.hrtime.bigint() - started) / rounds;
    };
    // Warm both paths up before measuring.
    await time((i) => work(i));
    await time((i) => inSpan(tracer, 'work', {}, () => work(i)));
    const bare = await time((i) => work(i));
    const spanned = await time((i) => inSpan(tracer, 'work', { attributes: { 'aos.tenant.id': 't' } }, () => work(i)));
    const overhead = spanned - bare;
    console.log(
      `no-op span: ${spanned.toFixed(0)} ns per call vs ${bare.toFixed(0)} ns bare (+${overhead.toFixed(0)} ns, ${(spanned / bare).toFixed(2)}x)`,
    );
    // A NATS request costs ~100 µs and an append ~1 ms: a few hundred ns is noise beside them.
    expect(overhead).toBeLessThan(2_000);
  });
});
