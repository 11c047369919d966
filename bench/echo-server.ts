/**
 * The raw baselines' far side, in its own process like the services are:
 * a gRPC unary echo (no proto, bytes in, bytes out) and a core-NATS responder.
 * Prints "ready <grpc-port>" on stdout once both are listening.
 */
import * as grpc from '@grpc/grpc-js';
import { connect } from '@nats-io/transport-node';

export const ECHO_METHOD = '/bench.Echo/Echo';
export const ECHO_SUBJECT = 'bench.echo';

const identity = (b: Buffer) => b;
export const echoService: grpc.ServiceDefinition = {
  Echo: {
    path: ECHO_METHOD,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

async function main(): Promise<void> {
  const natsUrl = process.argv[2];
  if (!natsUrl) throw new Error('usage: echo-server.ts <nats-url>');
  const nc = await connect({ servers: natsUrl });
  nc.subscribe(ECHO_SUBJECT, { callback: (_err, msg) => void msg.respond(msg.data) });
  await nc.flush();

  const server = new grpc.Server();
  server.addService(echoService, {
    Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  process.stdout.write(`ready ${port}\n`);
  process.on('SIGTERM', () => {
    server.forceShutdown();
    void nc.close().then(() => process.exit(0));
  });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}
