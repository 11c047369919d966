// Container healthcheck for the gateway (docker-compose; Kubernetes uses its
// native gRPC probe instead). Calls grpc.health.v1.Health/Check for the whole
// server (service "") on the port of AOS_GATEWAY_ADDR and exits 0 only when the
// answer is SERVING. grpc_health_probe is not in the image, and loading the
// health proto would need more than @grpc/grpc-js, so the two messages are
// encoded by hand: the request {service: ""} is zero bytes, and
// {status: SERVING} is field 1, varint 1, i.e. 0x08 0x01.
import { Buffer } from 'node:buffer';
import grpc from '@grpc/grpc-js';

const addr = process.env.AOS_GATEWAY_ADDR || '127.0.0.1:50051';
const port = addr.slice(addr.lastIndexOf(':') + 1);
const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const SERVING = Buffer.from([0x08, 0x01]);

client.makeUnaryRequest(
  '/grpc.health.v1.Health/Check',
  (request) => request,
  (response) => response,
  Buffer.alloc(0),
  { deadline: Date.now() + 3000 },
  (err, response) => {
    client.close();
    if (err) {
      console.error(`health check failed: ${err.message}`);
      process.exit(1);
    }
    if (!response.equals(SERVING)) {
      console.error(`not serving: HealthCheckResponse 0x${response.toString('hex')}`);
      process.exit(1);
    }
    process.exit(0);
  },
);
