/**
 * Bench (a): CreateAgent through the gateway at 64 in flight, beside raw gRPC
 * unary echo, raw NATS request/reply and raw JetStream publish, all measured in
 * this run on this machine, with the same concurrency.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startTestStack } from '@aos/testing';
import { closedLoop, formatRow, type LoadResult } from './measure';
import { ECHO_METHOD, ECHO_SUBJECT } from './echo-server';

const CONCURRENCY = 64;
const OPS = Number(process.env.AOS_BENCH_OPS ?? 20_000);
const WARMUP = Math.min(2_000, OPS / 10);

async function startEchoServer(natsUrl: string): Promise<{ grpcPort: number; stop(): void }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./echo-server.ts', import.meta.url)), natsUrl],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^ready (\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`echo server exited (${code})`)));
  });
  return { grpcPort: port, stop: () => child.kill('SIGTERM') };
}

async function measure(name: string, op: (i: number) => Promise<unknown>): Promise<LoadResult> {
  await closedLoop(CONCURRENCY, WARMUP, op);
  const r = await closedLoop(CONCURRENCY, OPS, op);
  process.stdout.write(`  measured ${name}\n`);
  return r;
}

export async function benchGateway(): Promise<void> {
  process.stdout.write(`\n(a) commands through the gateway: ${OPS} operations, ${CONCURRENCY} in flight\n`);
  const t = await startTestStack();
  const echo = await startEchoServer(t.natsUrl);
  const nc = await connect({ servers: t.natsUrl });
  try {
    const payload = Buffer.from(
      JSON.stringify({ agent: { name: 'x'.repeat(24), capabilities: ['billing'] }, requestId: randomUUID() }),
    );

    const EchoClient = grpc.makeGenericClientConstructor(
      {
        Echo: {
          path: ECHO_METHOD,
          requestStream: false,
          responseStream: false,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      'Echo',
    );
    const echoClient = new EchoClient(
      `127.0.0.1:${echo.grpcPort}`,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & {
      Echo(req: Buffer, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void;
    };
    const grpcEcho = await measure(
      'raw gRPC unary echo',
      () => new Promise((res, rej) => echoClient.Echo(payload, (e, r) => (e ? rej(e) : res(r)))),
    );

    const natsEcho = await measure('raw NATS request/reply', () =>
      nc.request(ECHO_SUBJECT, payload, { timeout: 10_000 }),
    );

    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'BENCH_RAW', subjects: ['bench.raw.>'] });
    const js = jetstream(nc);
    const jsPublish = await measure('raw JetStream publish', (i) => js.publish(`bench.raw.${i % 1000}`, payload));
    await jsm.streams.delete('BENCH_RAW');

    let n = 0;
    const create = await measure('CreateAgent through the gateway', () =>
      t.client.agents.createAgent({
        requestId: randomUUID(),
        agent: { name: `bench-${n++}-${randomUUID().slice(0, 8)}`, capabilities: ['billing'] },
      }),
    );

    process.stdout.write('\n');
    process.stdout.write(formatRow('raw gRPC unary echo', grpcEcho) + '\n');
    process.stdout.write(formatRow('raw NATS request/reply', natsEcho) + '\n');
    process.stdout.write(formatRow('raw JetStream publish (file storage)', jsPublish) + '\n');
    process.stdout.write(formatRow('CreateAgent via gateway (vs gRPC echo)', create, grpcEcho) + '\n');
    process.stdout.write(
      `  CreateAgent / raw NATS request-reply:   ${((create.opsPerSec / natsEcho.opsPerSec) * 100).toFixed(1)}%\n`,
    );
    process.stdout.write(
      `  CreateAgent / raw JetStream publish:    ${((create.opsPerSec / jsPublish.opsPerSec) * 100).toFixed(1)}%\n`,
    );
    process.stdout.write(`  target: >= 3000 commands/s -> ${create.opsPerSec >= 3000 ? 'met' : 'NOT met'}\n`);
    echoClient.close();
  } finally {
    await nc.close();
    echo.stop();
    await t.stop();
  }
}
