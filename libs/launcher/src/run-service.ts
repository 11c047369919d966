import { metricsAddress } from '@aos/metrics';
import { startTelemetry } from '@aos/telemetry';
import { signalReady } from './ready-signal';

export interface RunningService {
  close(): Promise<void>;
}

/**
 * The body of every service's main.ts: start tracing when the OTEL_*
 * variables ask for it (service.name `aos-<name>`), start the service, tell
 * the launcher it is ready, and close it cleanly on SIGTERM or SIGINT, the
 * last spans exported after it closed. A start failure exits 1 with the
 * reason on stderr.
 */
export async function runService<T extends RunningService>(
  name: string,
  start: () => Promise<T>,
  readyDetails?: (service: T) => Record<string, unknown>,
): Promise<T> {
  let service: T;
  const telemetry = await startTelemetry(name);
  try {
    service = await start();
  } catch (err) {
    process.stderr.write(`${name} failed to start: ${describeWithCauses(err)}\n`);
    process.exit(1);
  }
  // Where this process serves /metrics (AOS_METRICS_ADDR), for the launcher to print and tests to scrape.
  signalReady(name, { ...readyDetails?.(service), metricsAddress: metricsAddress() });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      service
        .close()
        .then(() => telemetry.shutdown())
        .then(
          () => process.exit(0),
          (err: unknown) => {
            process.stderr.write(`${name}: shutdown failed: ${String(err)}\n`);
            process.exit(1);
          },
        );
    });
  }
  return service;
}

/** The error's stack, then each cause's message: what a start failure's last words must say. */
function describeWithCauses(err: unknown): string {
  let text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  for (let cause = err instanceof Error ? err.cause : undefined, depth = 0; cause !== undefined && depth < 5; depth++) {
    text += `\n  caused by: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return text;
}
