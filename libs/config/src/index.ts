import { z } from 'zod';
import { resolve } from 'node:path';
import { parseModelPrices } from './model-prices';

/**
 * AgentOS configuration: environment variables, validated once at start.
 * A bad value stops the process with a message naming the variable.
 */
const NATS_URL = /^(nats|tls|wss?):\/\/\S+$/;

/** The servers of AOS_NATS_URL: one URL, or a comma-separated list of a cluster's. */
export function natsServers(url: string): string[] {
  return url
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server.length > 0);
}

const hostPort = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:50051');

/** Beside the gateway's 50051; nothing else of AgentOS (NATS 4222/6222/8222, EventStoreDB 2113, the console 8080) uses it. */
export const DEFAULT_MCP_ADDR = '127.0.0.1:50053';
/** Where browsers open the web console; the gateway serves its files and the Connect/gRPC-web bridge there. */
export const DEFAULT_CONSOLE_ADDR = '127.0.0.1:8080';
/** Routing keeps this many of the newest finished tasks whole unless AOS_ROUTING_FINISHED_TASKS says otherwise. */
export const DEFAULT_ROUTING_FINISHED_TASKS = 1_000;

export const ConfigSchema = z.object({
  AOS_DATA_DIR: z.string().min(1).default('.aos'),
  AOS_GATEWAY_ADDR: hostPort.default('127.0.0.1:50051'),
  /**
   * The gateway's MCP endpoint (streamable HTTP at `/mcp`): host:port, or `off`
   * (an empty value too) for none. See mcpListenAddress.
   */
  AOS_MCP_ADDR: z.union([z.literal('off'), hostPort]).default(DEFAULT_MCP_ADDR),
  /**
   * The web console (its files, and aos.v1 over Connect and gRPC-web for
   * browsers): host:port, or `off` (an empty value too) for none. See consoleListenAddress.
   */
  AOS_CONSOLE_ADDR: z.union([z.literal('off'), hostPort]).default(DEFAULT_CONSOLE_ADDR),
  /**
   * Where this process serves Prometheus metrics at `/metrics`: host:port
   * (port 0: a free one), or `off` (an empty value too, the default) for none.
   */
  AOS_METRICS_ADDR: z.union([z.literal('off'), hostPort]).default('off'),
  /**
   * The launcher (npm start) gives its N-th process (0 first: the backend
   * services, then the gateways) AOS_METRICS_ADDR 127.0.0.1:<base + N>, unless
   * AOS_METRICS_ADDR is set. Unset: no metrics server.
   */
  AOS_METRICS_PORT_BASE: z.coerce.number().int().min(1).max(65535).optional(),
  /**
   * The Ed25519 key (PKCS#8 PEM) that signs the audit log's checkpoints. Unset:
   * `<AOS_DATA_DIR>/audit-signing-key.pem`, generated on first start (mode
   * 0600). Every audit replica must use the same key: on several machines,
   * mount one key file (a Kubernetes Secret) and point this at it.
   */
  AOS_AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
  /** The audit log's name: each tenant's checkpoint origin is `<name>/tenants/<tenant id>`, and the key's name. */
  AOS_AUDIT_LOG_NAME: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/, 'expected 1-100 of [A-Za-z0-9._/-], e.g. agentos.example.com')
    .default('agentos'),
  /** How often the audit service signs a checkpoint of each tenant that has new events (ms); 0: only on demand. */
  AOS_AUDIT_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
  /**
   * Projection snapshots: a service writes one of a projection (its in-memory model) once it has applied
   * this many events since the last one, and a new process starts from it, replaying only the log's tail.
   * 0: no snapshots (every start replays the whole log).
   */
  AOS_SNAPSHOT_EVENTS: z.coerce.number().int().min(0).default(10_000),
  /** How often a service checks whether a projection is due for a new snapshot (ms). */
  AOS_SNAPSHOT_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  /** One NATS URL, or a comma-separated list of a cluster's servers (clients try them all). */
  AOS_NATS_URL: z
    .string()
    .refine(
      (value) => natsServers(value).length > 0 && natsServers(value).every((url) => NATS_URL.test(url)),
      'expected a nats:// URL or a comma-separated list of them',
    )
    .optional(),
  /**
   * Replicas of the event stream AOS_EVENTS and of the KV buckets the services
   * create (names, run leases): 1 for one nats-server, 3 (or 5) on a JetStream
   * cluster. Applies when they are created; an existing stream keeps its own.
   */
  AOS_JETSTREAM_REPLICAS: z.coerce
    .number()
    .int()
    .refine((n) => n === 1 || n === 3 || n === 5, 'must be 1, 3 or 5')
    .default(1),
  AOS_EVENT_STORE: z.enum(['jetstream', 'eventstoredb']).default('jetstream'),
  AOS_ESDB_URL: z
    .string()
    .regex(/^(esdb|kurrentdb|kdb)(\+discover)?:\/\//, 'expected an esdb:// URL')
    .optional(),
  AOS_BOOTSTRAP_API_KEY: z
    .string()
    .regex(
      /^aos_[a-z0-9]{4,16}_[A-Za-z0-9_-]{20,}$/,
      'must look like aos_<prefix>_<secret>: prefix 4-16 of [a-z0-9], secret at least 20 of [A-Za-z0-9_-]',
    )
    .optional(),
  AOS_DEFAULT_TENANT: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes')
    .default('default'),
  AOS_OIDC_ISSUER: z.url().optional(),
  AOS_OIDC_AUDIENCE: z.string().min(1).optional(),
  AOS_OIDC_JWKS_URL: z.url().optional(),
  AOS_OIDC_GROUPS_CLAIM: z.string().min(1).default('groups'),
  AOS_OIDC_TENANT_CLAIM: z.string().min(1).default('aos_tenant'),
  /**
   * The web console's OIDC client (public: authorization code with PKCE, no
   * secret) at AOS_OIDC_ISSUER; set, the sign-in page offers signing in there.
   */
  AOS_CONSOLE_OIDC_CLIENT_ID: z.string().min(1).max(256).optional(),
  AOS_OPENAI_BASE_URL: z.url().optional(),
  AOS_OPENAI_API_KEY: z.string().optional(),
  AOS_MODEL: z.string().default('gpt-4o-mini'),
  /**
   * Knowledge bases: the embeddings model of AOS_OPENAI_BASE_URL's
   * /v1/embeddings; set, documents are embedded when added and searches are
   * hybrid (BM25 and dense vectors); unset, search is lexical only.
   */
  AOS_EMBEDDINGS_MODEL: z.string().min(1).max(256).optional(),
  /**
   * Routing: how long a started task attempt stays claimed without its runner
   * renewing the lease; then routing abandons it (TaskAttemptAbandoned) and the
   * next attempt may start. Runners renew well within it.
   */
  AOS_RUN_LEASE_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  /**
   * Routing: how many finished tasks it keeps whole in memory (the newest
   * finished); older ones are kept as a few numbers each and read back from
   * the log when GetTask or ListTasks shows them.
   */
  AOS_ROUTING_FINISHED_TASKS: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_ROUTING_FINISHED_TASKS),
  /** Routing: how many tasks one agent runs at once unless its label `aos.max_concurrent_tasks` says otherwise. */
  AOS_AGENT_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(4),
  /** Runtime: runs one instance executes at once (each instance; several instances share the tasks). */
  AOS_RUNTIME_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(8),
  /** Runtime: how long one model call may take before it counts as timed out (then retried, at most twice). */
  AOS_MODEL_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  /**
   * Runtime: what model tokens cost, so budgets' cost limits count model calls:
   * `model=input/output,…` in the budgets' currency per million tokens, e.g.
   * `gpt-4o-mini=0.15/0.60,*=1/2` (`*`: any model not listed). Unpriced models
   * are charged tokens only.
   */
  AOS_MODEL_PRICES: z
    .string()
    .default('')
    .superRefine((text, ctx) => {
      for (const message of parseModelPrices(text).problems) ctx.addIssue({ code: 'custom', message });
    })
    .transform((text) => parseModelPrices(text).prices),
  /** Runtime: model calls one run may make before it fails with DEADLINE_EXCEEDED. */
  AOS_RUN_MAX_TURNS: z.coerce.number().int().min(1).max(1000).default(20),
  /**
   * Routing: `lexical` ranks agents without a model; `llm` lets the model at
   * AOS_OPENAI_BASE_URL choose among the best lexical candidates and give its
   * rationale; `auto` (default) is `llm` when AOS_OPENAI_BASE_URL is set.
   */
  AOS_ROUTER: z.enum(['auto', 'lexical', 'llm']).default('auto'),
  /** Routing: the model the LLM router asks (default AOS_MODEL). */
  AOS_ROUTER_MODEL: z.string().min(1).optional(),
  /** Routing: how long the LLM router waits for the model before the lexical choice stands. */
  AOS_ROUTER_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  AOS_LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
});

export type AosConfig = z.infer<typeof ConfigSchema> & { dataDir: string };

/** Thrown when an environment variable has a value the schema refuses. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AosConfig {
  const picked = Object.fromEntries(
    Object.keys(ConfigSchema.shape)
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .map((k) => [k, env[k]]),
  );
  // Empty means unset everywhere else; for the MCP endpoint, the console and metrics it is the way to turn them off.
  for (const optional of ['AOS_MCP_ADDR', 'AOS_CONSOLE_ADDR', 'AOS_METRICS_ADDR'] as const)
    if (env[optional] === '') picked[optional] = 'off';
  const parsed = ConfigSchema.safeParse(picked);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  if (parsed.data.AOS_EVENT_STORE === 'eventstoredb' && !parsed.data.AOS_ESDB_URL) {
    throw new ConfigError(['AOS_ESDB_URL: required when AOS_EVENT_STORE=eventstoredb']);
  }
  if (parsed.data.AOS_ROUTER === 'llm' && !parsed.data.AOS_OPENAI_BASE_URL) {
    throw new ConfigError(['AOS_OPENAI_BASE_URL: required when AOS_ROUTER=llm']);
  }
  if (parsed.data.AOS_EMBEDDINGS_MODEL && !parsed.data.AOS_OPENAI_BASE_URL) {
    throw new ConfigError(['AOS_OPENAI_BASE_URL: required when AOS_EMBEDDINGS_MODEL is set']);
  }
  if (parsed.data.AOS_CONSOLE_OIDC_CLIENT_ID) {
    const missing = (['AOS_OIDC_ISSUER', 'AOS_OIDC_AUDIENCE', 'AOS_OIDC_JWKS_URL'] as const).filter(
      (name) => !parsed.data[name],
    );
    if (missing.length > 0)
      throw new ConfigError(
        missing.map(
          (name) => `${name}: required when AOS_CONSOLE_OIDC_CLIENT_ID is set (the gateway verifies its tokens)`,
        ),
      );
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.AOS_DATA_DIR) };
}

/** Whether routing asks a model to choose among the lexical candidates (AOS_ROUTER). */
export function usesModelRouter(config: AosConfig): boolean {
  return config.AOS_ROUTER === 'llm' || (config.AOS_ROUTER === 'auto' && config.AOS_OPENAI_BASE_URL !== undefined);
}

/** Where the gateway serves MCP, or undefined when AOS_MCP_ADDR is `off` or empty. */
export function mcpListenAddress(config: Pick<AosConfig, 'AOS_MCP_ADDR'>): string | undefined {
  return config.AOS_MCP_ADDR === 'off' ? undefined : config.AOS_MCP_ADDR;
}

/** Where the gateway serves the web console, or undefined when AOS_CONSOLE_ADDR is `off` or empty. */
export function consoleListenAddress(config: Pick<AosConfig, 'AOS_CONSOLE_ADDR'>): string | undefined {
  return config.AOS_CONSOLE_ADDR === 'off' ? undefined : config.AOS_CONSOLE_ADDR;
}

/**
 * Where a client on this host reaches a server listening on `address`
 * (host:port): a wildcard host (0.0.0.0, [::]) is reached on loopback.
 */
export function localAddressOf(address: string): string {
  return address.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:');
}

/** What the web console needs to sign a person in at the OIDC issuer: public values only. */
export interface ConsoleOidcSettings {
  issuer: string;
  clientId: string;
  scopes: string[];
  /**
   * The token the console sends as its bearer: the ID token when the gateway's
   * audience is the console's client id (an ID token's aud is its client), else
   * the access token, whose audience the issuer sets to the API's.
   */
  bearer: 'id_token' | 'access_token';
}

/** The console's OIDC sign-in, or null when AOS_CONSOLE_OIDC_CLIENT_ID is unset. */
export function consoleOidcSettings(
  config: Pick<AosConfig, 'AOS_CONSOLE_OIDC_CLIENT_ID' | 'AOS_OIDC_ISSUER' | 'AOS_OIDC_AUDIENCE'>,
): ConsoleOidcSettings | null {
  const { AOS_CONSOLE_OIDC_CLIENT_ID: clientId, AOS_OIDC_ISSUER: issuer } = config;
  if (!clientId || !issuer) return null;
  return {
    issuer,
    clientId,
    scopes: ['openid', 'profile', 'email'],
    bearer: config.AOS_OIDC_AUDIENCE === clientId ? 'id_token' : 'access_token',
  };
}

/** The NATS URL services connect to; the launcher sets AOS_NATS_URL for its children. */
export function requireNatsUrl(config: AosConfig): string {
  if (!config.AOS_NATS_URL) throw new ConfigError(['AOS_NATS_URL: required for a service started on its own']);
  return config.AOS_NATS_URL;
}
export { redactUrl } from './redact';
export { costMicrosOf, parseModelPrices, type ModelPrice, type ModelPrices } from './model-prices';
export { modelServerClient, openaiErrors, type ModelServerClientOptions } from './model-server-client';
