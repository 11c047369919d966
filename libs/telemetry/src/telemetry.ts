/**
 * Tracing of one process: the OpenTelemetry Node SDK, configured by the
 * standard OTEL_* variables, exporting traces over OTLP. Off unless asked for;
 * while off the SDK is never even loaded and every span call in AgentOS is
 * @opentelemetry/api's no-op.
 */
export interface Telemetry {
  /** Whether this process exports traces. */
  readonly enabled: boolean;
  /** Exports the spans still buffered and stops; a process that stops calls it last. Idempotent. */
  shutdown(): Promise<void>;
}

const OFF: Telemetry = { enabled: false, shutdown: async () => undefined };

let running: Promise<Telemetry> | undefined;

/** The entries of a comma-separated OTEL_* list, trimmed and lower-cased; empty entries dropped. */
function listOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
}

/**
 * Whether the environment asks for traces: OTEL_TRACES_EXPORTER names an
 * exporter other than `none`, or (OTEL_TRACES_EXPORTER unset) an OTLP
 * endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). OTEL_SDK_DISABLED=true wins over both.
 * The SDK itself would default to OTLP on localhost:4318; AgentOS does not,
 * so that nothing is exported (or retried against no one) by default.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = listOf(env.OTEL_TRACES_EXPORTER).filter((name) => name !== 'null');
  if (exporters.length > 0) return exporters.some((name) => name !== 'none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Starts tracing for this process when the environment asks for it (see
 * tracingRequested), once: a process running several services shares one
 * SDK. The resource's service.name is `aos-<service>` unless
 * OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) says
 * otherwise; exporter, protocol (OTEL_EXPORTER_OTLP_PROTOCOL, default
 * http/protobuf), endpoint, headers, sampler, batching (OTEL_BSP_*) and
 * OTEL_LOG_LEVEL are the SDK's own. Only traces are exported: metrics are
 * Prometheus' (/metrics), so OTEL_METRICS_EXPORTER and OTEL_LOGS_EXPORTER are
 * not acted on. No instrumentation is patched in: the spans are AgentOS's own
 * (gRPC calls, NATS requests, appends, model and tool calls).
 */
export function startTelemetry(service: string, env: NodeJS.ProcessEnv = process.env): Promise<Telemetry> {
  if (running) return running;
  if (!tracingRequested(env)) return Promise.resolve(OFF);
  running = start(service, env);
  return running;
}

async function start(service: string, env: NodeJS.ProcessEnv): Promise<Telemetry> {
  // Loaded only when tracing is on: the SDK and its exporters cost a noticeable start-up otherwise.
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const named =
    Boolean(env.OTEL_SERVICE_NAME?.trim()) || /(^|,)\s*service\.name\s*=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '');
  const sdk = new NodeSDK({
    ...(named ? {} : { serviceName: `aos-${service}` }),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown: () =>
      (stopping ??= sdk.shutdown().catch((err: unknown) => {
        process.stderr.write(`${service}: could not export the last spans: ${String(err)}\n`);
      })),
  };
}
