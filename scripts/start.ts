/**
 * `npm start`: the embedded default. Starts nats-server with JetStream as a
 * child process (unless AOS_NATS_URL points at one), every service as its own
 * process, and the gRPC gateway; prints where to connect and where the admin
 * key is. Ctrl-C stops everything; the data under AOS_DATA_DIR stays.
 */
import { createServer } from 'node:net';
import { ConfigError, consoleListenAddress, loadConfig, localAddressOf, mcpListenAddress } from '@aos/config';
import { ServiceStartError, startStack, type Stack } from '@aos/launcher';
import { resolveBootstrapKey } from '@aos/governance';
import { demoBanner, startDemo, type RunningDemo } from './demo';

const HELP = `Usage: npm start [-- --demo]

Runs AgentOS on this machine: an embedded nats-server with JetStream (data in
AOS_DATA_DIR; restarted on the same port and data should it die), the lifecycle, audit,
governance, resources, routing, runtime and commands services and the gRPC gateway (each
restarted should it die).

--demo (or npm run demo) also seeds the tenant "demo": a small fleet of example external
agents that works without a model, their tools, an approval rule, a budget and a trickle of
tasks; its admin key goes to AOS_DATA_DIR/demo-admin.key. Ordinary data, labelled demo.

Environment (all optional):
  AOS_DATA_DIR            data directory (default .aos)
  AOS_GATEWAY_ADDR        gateway listen address (default 127.0.0.1:50051)
  AOS_MCP_ADDR            the gateway's MCP endpoint (streamable HTTP at /mcp, the same API keys
                          and OIDC tokens as gRPC): host:port (default 127.0.0.1:50053), or
                          off (or empty) for none
  AOS_CONSOLE_ADDR        the web console, and the gRPC API over Connect and gRPC-web for
                          browsers (the same keys, permissions and audit): host:port (default
                          127.0.0.1:8080), or off (or empty) for none
  AOS_METRICS_PORT_BASE   serve Prometheus /metrics from every process: the N-th one started
                          (0 = the first backend service, then the others, then the gateways)
                          on 127.0.0.1:<base + N>; each address is printed (default unset: none)
  AOS_METRICS_ADDR        one /metrics address (host:port; port 0 = a free one) for every
                          process instead, e.g. 0.0.0.0:9464 in a container (default off)
  AOS_NATS_URL            use this NATS (with JetStream) instead of starting one; a cluster's
                          servers comma-separated
  AOS_JETSTREAM_REPLICAS  replicas of the event log and the KV buckets when created
                          (1, 3 or 5; default 1; 3 on a 3-node cluster)
  AOS_EVENT_STORE         jetstream (default) | eventstoredb
  AOS_ESDB_URL            EventStoreDB connection string, e.g. esdb://localhost:2113?tls=false
  AOS_BOOTSTRAP_API_KEY   admin key of the default tenant (default: generated into AOS_DATA_DIR)
  AOS_DEFAULT_TENANT      id of the default tenant (default "default")
  AOS_OIDC_ISSUER         accept OIDC bearer JWTs from this issuer (with the next two)
  AOS_OIDC_AUDIENCE       the audience those tokens must carry
  AOS_OIDC_JWKS_URL       where the issuer publishes its signing keys
  AOS_LOG_LEVEL           error | warn | log | debug | verbose (default log)
  AOS_SERVICE_RUNNER      compiled (default: dist/services, built by npm run build and rebuilt
                          whenever a source is newer) | tsx (the TypeScript sources through tsx,
                          no build: slower to start, heavier)
  AOS_SERVICE_NODE_ARGS   extra Node flags for every service, e.g. --cpu-prof (the usual ones are in
                          libs/launcher/service-node-flags)
  AOS_AUDIT_SIGNING_KEY_FILE  Ed25519 private key (PKCS#8 PEM) that signs the audit log's
                          checkpoints (default: generated into AOS_DATA_DIR/audit-signing-key.pem)
  AOS_AUDIT_LOG_NAME      the audit log's name: checkpoint origins are <name>/tenants/<tenant>
                          (default agentos)
  AOS_AUDIT_CHECKPOINT_INTERVAL_MS  how often each tenant with new events gets a signed
                          checkpoint (default 60000; 0 = only on demand)
  AOS_SNAPSHOT_EVENTS     a service snapshots a model (in the NATS object store aos_snapshots) once it
                          applied this many events since the last, and starts from it next time,
                          replaying only the log's tail (default 10000; 0 = never, replay the whole log)
  AOS_SNAPSHOT_INTERVAL_MS  how often that is checked (default 30000)
  OTEL_EXPORTER_OTLP_ENDPOINT  send OpenTelemetry traces (OTLP/HTTP) there; with the other
                          standard OTEL_* variables (OTEL_TRACES_EXPORTER, OTEL_SERVICE_NAME, ...)
                          (default: no tracing, at no cost)
  AOS_OPENAI_BASE_URL     OpenAI-compatible model server for the runtime (unset: tasks of
                          built-in agents fail with FAILED_PRECONDITION)
  AOS_OPENAI_API_KEY      its API key
  AOS_MODEL               model for agents that name none (default gpt-4o-mini)
  AOS_EMBEDDINGS_MODEL    embeddings model at AOS_OPENAI_BASE_URL for knowledge bases: documents
                          embedded when added, hybrid search (unset: lexical search only)
  AOS_RUNTIME_CONCURRENCY runs one runtime instance executes at once (default 8)
  AOS_MODEL_TIMEOUT_MS    time limit of one model call (default 60000; retried twice)
  AOS_RUN_MAX_TURNS       model calls per run before it fails (default 20)
  AOS_MODEL_PRICES        what tokens cost, for budgets' cost limits: model=input/output,...
                          per million tokens, * for any other model (default: none, tokens only)
  AOS_ROUTER              auto | lexical | llm: whether a model chooses among the eligible
                          agents (default auto: llm when AOS_OPENAI_BASE_URL is set)
  AOS_ROUTER_MODEL        the LLM router's model (default AOS_MODEL)
  AOS_ROUTER_TIMEOUT_MS   how long the LLM router waits before the lexical choice stands (default 10000)
  AOS_RUN_LEASE_MS        how long a started attempt stays claimed without a renewal (default 15000)
  AOS_AGENT_MAX_CONCURRENCY tasks one agent runs at once unless its label says otherwise (default 4)
`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(HELP);
    return;
  }
  const config = loadConfig();
  await assertAddressFree('AOS_GATEWAY_ADDR', config.AOS_GATEWAY_ADDR);
  const mcpAddr = mcpListenAddress(config);
  if (mcpAddr) await assertAddressFree('AOS_MCP_ADDR', mcpAddr);
  const consoleAddr = consoleListenAddress(config);
  if (consoleAddr) await assertAddressFree('AOS_CONSOLE_ADDR', consoleAddr);
  // Created before governance starts (it reads the same file) so that its location can be printed now.
  const key = resolveBootstrapKey(config);
  const log = (m: string) => process.stdout.write(`[agentos] ${m}\n`);

  // The services run in their own process groups, so a Ctrl-C reaches only this
  // process: handle it from the first moment, also while the stack starts.
  let stack: Stack | undefined = undefined;
  let demo: RunningDemo | undefined = undefined;
  const starting = new AbortController();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    if (!stack) return starting.abort();
    const running = stack;
    (demo?.stop() ?? Promise.resolve())
      .then(() => running.stop())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  stack = await startStack({
    dataDir: config.dataDir,
    gatewayAddr: config.AOS_GATEWAY_ADDR,
    natsUrl: config.AOS_NATS_URL,
    restartOnCrash: true,
    onEvent: log,
    signal: starting.signal,
  });

  const keyWhere = key.source === 'env' ? 'the AOS_BOOTSTRAP_API_KEY environment variable' : key.path;
  process.stdout.write(
    [
      '',
      `AgentOS is running.`,
      `  gRPC gateway : ${stack.gatewayAddr}   (reflection and grpc.health.v1 enabled)`,
      `  web console  : ${stack.consoleAddrs[0] ? `${browsable(stack.consoleAddrs[0])}   (sign in with an API key)` : 'off (AOS_CONSOLE_ADDR)'}`,
      `  MCP endpoint : ${stack.mcpAddrs[0] ? `http://${stack.mcpAddrs[0]}/mcp   (streamable HTTP, Authorization: Bearer <api key>)` : 'off (AOS_MCP_ADDR)'}`,
      `  admin API key: ${keyWhere}`,
      `  data         : ${config.dataDir}`,
      '',
      // The CLI finds the key by itself (AOS_BOOTSTRAP_API_KEY or the key file).
      `Try:  npx aos agents create --name support --capability billing`,
      `Stop with Ctrl-C.`,
      '',
    ].join('\n'),
  );

  if (process.argv.includes('--demo')) {
    try {
      demo = await startDemo({ gatewayAddr: stack.gatewayAddr, adminKey: key.key, dataDir: config.dataDir, log });
    } catch (err) {
      await stack.stop();
      throw err;
    }
    process.stdout.write([...demoBanner(demo), ''].join('\n'));
  }
}

/** The console's URL for a browser on this machine. */
function browsable(addr: string): string {
  return `http://${localAddressOf(addr)}/`;
}

/** Checked first, so that a second `npm start` says why instead of failing halfway. */
async function assertAddressFree(variable: string, addr: string): Promise<void> {
  const at = addr.lastIndexOf(':');
  const host = addr.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(addr.slice(at + 1));
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new ConfigError([
          err.code === 'EADDRINUSE'
            ? `${variable}: ${addr} is already in use (is AgentOS already running?); stop that process or choose another address`
            : `${variable}: cannot listen on ${addr}: ${err.message}`,
        ]),
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

main().catch((err: unknown) => {
  const known = err instanceof ConfigError || err instanceof ServiceStartError;
  process.stderr.write(
    known
      ? `AgentOS failed to start: ${(err as Error).message}\n`
      : `AgentOS failed to start: ${(err as Error).stack}\n`,
  );
  process.exit(1);
});
