/**
 * Checks of the production topology described by deploy/ and the compose
 * files: every AgentOS service replicated, NATS as a 3-node JetStream cluster
 * whose routes name all three nodes, the services pointed at all three with
 * the log at R3. Each check returns the problems it finds (empty: none), so
 * that deploy-manifests.unit.spec.ts can run it on the real files and on
 * broken copies of them.
 */
import type { Document } from 'yaml';

/** The AgentOS services: each a Deployment in deploy/k8s and a compose service. */
export const SERVICES = ['lifecycle', 'audit', 'governance', 'resources', 'routing', 'runtime', 'commands', 'gateway'];
export const NATS_NODES = ['nats-0', 'nats-1', 'nats-2'];

// ---------------------------------------------------------------------------
// nats-server configuration files

export type NatsConfValue = string | number | boolean | NatsConfValue[] | { [key: string]: NatsConfValue };
export type NatsConf = { [key: string]: NatsConfValue };

/** Thrown when a nats-server config uses syntax this reader does not know (it then says so rather than guess). */
export class NatsConfSyntaxError extends Error {
  override name = 'NatsConfSyntaxError';
  constructor(
    readonly offset: number,
    problem: string,
  ) {
    super(`nats-server config, offset ${offset}: ${problem}`);
  }
}

/**
 * Reads the part of the nats-server config format that deploy/ uses: `key: value`,
 * `key = value` or `key value`; `{ }` blocks; `[ ]` lists separated by commas
 * or line breaks; quoted and bare strings; `#` and `//` comments. Bare `true`,
 * `false` and integers become booleans and numbers; `$VAR` stays a string.
 * Anything else (include, block strings) is refused.
 */
export function parseNatsConf(text: string): NatsConf {
  let at = 0;
  const fail = (problem: string): never => {
    throw new NatsConfSyntaxError(at, problem);
  };
  const skip = (newlines: boolean) => {
    for (;;) {
      const c = text[at];
      if (c === '#' || (c === '/' && text[at + 1] === '/')) {
        while (at < text.length && text[at] !== '\n') at++;
      } else if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) {
        at++;
      } else {
        return;
      }
    }
  };
  const quoted = (): string => {
    const quote = text[at++];
    const start = at;
    while (at < text.length && text[at] !== quote) at++;
    if (at >= text.length) fail('unterminated string');
    return text.slice(start, at++);
  };
  const bare = (stop: RegExp): string => {
    const start = at;
    while (at < text.length && !stop.test(text[at]!)) at++;
    if (at === start) fail(`unexpected ${JSON.stringify(text[at] ?? 'end of file')}`);
    return text.slice(start, at);
  };
  const value = (): NatsConfValue => {
    const c = text[at];
    if (c === '{') {
      at++;
      const block = entries('}');
      at++;
      return block;
    }
    if (c === '[') {
      at++;
      const list: NatsConfValue[] = [];
      for (;;) {
        skip(true);
        if (text[at] === ']') break;
        if (at >= text.length) fail('unterminated list');
        list.push(value());
        skip(false);
        if (text[at] === ',') at++;
      }
      at++;
      return list;
    }
    if (c === '"' || c === "'") return quoted();
    if (c === '(') fail('block strings are not supported');
    const word = bare(/[\s,;\]}]/);
    if (word === 'true' || word === 'false') return word === 'true';
    return /^-?\d+$/.test(word) ? Number(word) : word;
  };
  const entries = (close: '}' | undefined): NatsConf => {
    const conf: NatsConf = {};
    for (;;) {
      skip(true);
      while (text[at] === ',' || text[at] === ';') {
        at++;
        skip(true);
      }
      if (close === undefined ? at >= text.length : text[at] === close) return conf;
      if (at >= text.length) fail(`missing ${close}`);
      const key = text[at] === '"' || text[at] === "'" ? quoted() : bare(/[\s:=]/);
      if (key === 'include') fail('include is not supported');
      skip(false);
      if (text[at] === ':' || text[at] === '=') at++;
      skip(false);
      if (key in conf) fail(`duplicate key ${key}`);
      conf[key] = value();
    }
  };
  return entries(undefined);
}

// ---------------------------------------------------------------------------
// Kubernetes manifests (deploy/k8s)

export interface Manifest {
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  // The shapes used here of Deployment, StatefulSet, Service, PodDisruptionBudget and NetworkPolicy specs.
  spec?: {
    replicas?: number;
    serviceName?: string;
    podManagementPolicy?: string;
    clusterIP?: string;
    publishNotReadyAddresses?: boolean;
    minAvailable?: number | string;
    maxUnavailable?: number | string;
    selector?: { matchLabels?: Record<string, string> } & Record<string, unknown>;
    podSelector?: { matchLabels?: Record<string, string> };
    ingress?: { from?: { podSelector?: { matchLabels?: Record<string, string> } }[]; ports?: { port?: number }[] }[];
    ports?: { name?: string; port?: number }[];
    volumeClaimTemplates?: { metadata?: { name?: string } }[];
    template?: {
      spec?: {
        containers?: Record<string, unknown>[];
        volumes?: { name?: string; configMap?: { name?: string } }[];
      };
    };
  };
}

type PodSpec = NonNullable<NonNullable<NonNullable<Manifest['spec']>['template']>['spec']>;

export interface Container {
  args?: string[];
  env?: { name?: string; valueFrom?: { fieldRef?: { fieldPath?: string } } }[];
  ports?: { name?: string; containerPort?: number }[];
  volumeMounts?: { name?: string; mountPath?: string }[];
}

const find = (manifests: Manifest[], kind: string, name: string) =>
  manifests.find((m) => m?.kind === kind && m.metadata?.name === name);

/** Every AgentOS service is a Deployment of two replicas or more. */
export function deploymentReplicaProblems(manifests: Manifest[]): string[] {
  return SERVICES.flatMap((name) => {
    const deployment = find(manifests, 'Deployment', name);
    if (!deployment) return [`${name}: no Deployment`];
    const replicas = deployment.spec?.replicas ?? 1;
    return replicas >= 2 ? [] : [`${name}: replicas ${replicas}, want 2 or more`];
  });
}

/** Every AgentOS service has a PodDisruptionBudget that keeps one replica up. */
export function disruptionBudgetProblems(manifests: Manifest[]): string[] {
  return SERVICES.flatMap((name) => {
    const budget = manifests.find(
      (m) => m?.kind === 'PodDisruptionBudget' && m.spec?.selector?.matchLabels?.['app.kubernetes.io/name'] === name,
    );
    if (!budget) return [`${name}: no PodDisruptionBudget`];
    const { minAvailable, maxUnavailable } = budget.spec ?? {};
    const replicas = find(manifests, 'Deployment', name)?.spec?.replicas ?? 1;
    const keeps = minAvailable !== undefined ? Number(minAvailable) : replicas - Number(maxUnavailable ?? replicas);
    return keeps >= 1 && keeps < replicas ? [] : [`${name}: PodDisruptionBudget keeps ${keeps} of ${replicas}`];
  });
}

/**
 * NATS is a StatefulSet of 3 with a volume per pod, started in parallel, under
 * a headless Service that publishes not-ready pods; its config has JetStream
 * on the volume, the pod name as server name, and a cluster block with routes
 * to all three pods on the cluster port.
 */
export function natsStatefulSetProblems(manifests: Manifest[]): string[] {
  const problems: string[] = [];
  const set = find(manifests, 'StatefulSet', 'nats');
  if (!set) return ['no StatefulSet nats'];
  const spec = set.spec ?? {};
  if (spec.replicas !== 3) problems.push(`StatefulSet nats: replicas ${spec.replicas}, want 3`);
  if (spec.podManagementPolicy !== 'Parallel') problems.push('StatefulSet nats: podManagementPolicy is not Parallel');
  const claims = (spec.volumeClaimTemplates ?? []).map((t) => t.metadata?.name);

  const governing = find(manifests, 'Service', spec.serviceName ?? '');
  if (governing?.spec?.clusterIP !== 'None') problems.push(`Service ${spec.serviceName}: not headless`);
  if (governing?.spec?.publishNotReadyAddresses !== true) {
    problems.push(`Service ${spec.serviceName}: does not publish not-ready pods (the routes need them)`);
  }
  if (!governing?.spec?.ports?.some((p) => p.port === 6222)) problems.push(`Service ${spec.serviceName}: no port 6222`);

  const container = (spec.template?.spec?.containers?.[0] ?? {}) as Container;
  if (!container.ports?.some((p) => p.containerPort === 6222)) problems.push('nats container: no port 6222');
  const podName = container.env?.find((e) => e.valueFrom?.fieldRef?.fieldPath === 'metadata.name')?.name;

  const mountPath = (volume: string | undefined) =>
    container.volumeMounts?.find((m) => m.name !== undefined && m.name === volume)?.mountPath;
  const configVolume = spec.template?.spec?.volumes?.find((v) => v.configMap?.name);
  const configPath = container.args?.[container.args.indexOf('--config') + 1] ?? '';
  const configDir = mountPath(configVolume?.name);
  const configMap = find(manifests, 'ConfigMap', configVolume?.configMap?.name ?? '');
  const file = configDir && configPath.startsWith(`${configDir}/`) ? configPath.slice(configDir.length + 1) : '';
  const text = configMap?.data?.[file];
  if (text === undefined) return [...problems, `nats: the config file ${configPath} is not from a ConfigMap`];

  const conf = parseNatsConf(text);
  const storeDir = (conf.jetstream as NatsConf | undefined)?.store_dir;
  if (storeDir === undefined) problems.push('nats config: JetStream is not enabled (no jetstream.store_dir)');
  else if (!claims.some((claim) => mountPath(claim) === storeDir)) {
    problems.push(`nats config: store_dir ${storeDir} is not on a volumeClaimTemplate`);
  }
  if (!podName || conf.server_name !== `$${podName}`) problems.push('nats config: server_name is not the pod name');
  problems.push(
    ...clusterProblems(
      conf,
      NATS_NODES.map((pod) => `${pod}.${spec.serviceName}`),
    ),
  );
  return problems;
}

/** A cluster block with a name, port 6222, and routes to exactly the given hosts on it. */
export function clusterProblems(conf: NatsConf, hosts: string[]): string[] {
  const cluster = conf.cluster as NatsConf | undefined;
  if (!cluster) return ['nats config: no cluster block'];
  const problems: string[] = [];
  if (typeof cluster.name !== 'string' || !cluster.name) problems.push('nats config: the cluster has no name');
  if (cluster.port !== 6222) problems.push(`nats config: cluster port ${cluster.port}, want 6222`);
  const routes = Array.isArray(cluster.routes) ? cluster.routes.map(String) : [];
  const routed = routes.map((route) => /^nats(?:-route)?:\/\/([^:/]+):6222$/.exec(route)?.[1] ?? route);
  if (routed.slice().sort().join(' ') !== hosts.slice().sort().join(' ')) {
    problems.push(`nats config: routes ${JSON.stringify(routes)} do not name each of ${hosts.join(', ')} on 6222`);
  }
  return problems;
}

/** The services' environment names every NATS node and asks for R3. */
export function serviceEnvironmentProblems(where: string, env: Record<string, unknown>, hosts: string[]): string[] {
  const problems: string[] = [];
  const urls = String(env.AOS_NATS_URL ?? '')
    .split(',')
    .map((url) => url.trim());
  const want = hosts.map((host) => `nats://${host}:4222`);
  if (urls.slice().sort().join(',') !== want.slice().sort().join(',')) {
    problems.push(`${where}: AOS_NATS_URL ${JSON.stringify(env.AOS_NATS_URL)}, want ${want.join(',')}`);
  }
  if (String(env.AOS_JETSTREAM_REPLICAS) !== '3') {
    problems.push(`${where}: AOS_JETSTREAM_REPLICAS ${JSON.stringify(env.AOS_JETSTREAM_REPLICAS)}, want 3`);
  }
  return problems;
}

/** config.yaml lists the three NATS pods and asks for R3. */
export function agentosConfigProblems(manifests: Manifest[]): string[] {
  const config = find(manifests, 'ConfigMap', 'agentos-config');
  if (!config) return ['no ConfigMap agentos-config'];
  const serviceName = find(manifests, 'StatefulSet', 'nats')?.spec?.serviceName;
  return serviceEnvironmentProblems(
    'config.yaml',
    config.data ?? {},
    NATS_NODES.map((pod) => `${pod}.${serviceName}`),
  );
}

/** The NetworkPolicy on the NATS pods lets them open routes (6222) to each other. */
export function routePolicyProblems(manifests: Manifest[]): string[] {
  const policies = manifests.filter(
    (m) => m?.kind === 'NetworkPolicy' && m.spec?.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'nats',
  );
  const allowsRoutes = policies.some((policy) =>
    (policy.spec?.ingress ?? []).some(
      (rule) =>
        (rule.ports ?? []).some((p) => p.port === 6222) &&
        (rule.from ?? []).some((peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'nats'),
    ),
  );
  return policies.length === 0 || allowsRoutes ? [] : ['NetworkPolicy: NATS pods may not reach each other on 6222'];
}

// ---------------------------------------------------------------------------
// Docker Compose (docker-compose.yml and docker-compose.cluster.yml)

export interface ComposeService {
  image?: string;
  container_name?: string;
  profiles?: string[];
  ports?: unknown[];
  environment?: Record<string, unknown>;
  volumes?: string[];
  command?: string[];
  depends_on?: Record<string, { condition?: string; required?: boolean }>;
  deploy?: { replicas?: number };
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** Scalable with --scale: no AgentOS service has a container_name, and only the gateway publishes a port. */
export function scalingProblems(compose: ComposeFile): string[] {
  return SERVICES.flatMap((name) => {
    const service = compose.services[name];
    if (!service) return [`compose: no service ${name}`];
    const problems: string[] = [];
    if (service.container_name) problems.push(`compose ${name}: container_name prevents --scale`);
    if (name !== 'gateway' && (service.ports ?? []).length > 0) {
      problems.push(`compose ${name}: publishes a host port, which prevents --scale`);
    }
    return problems;
  });
}

/**
 * The cluster override: three NATS nodes nats-0..2 running one config file,
 * each with its server name and its own volume at the store directory; routes
 * to each other; every AgentOS service at two replicas or more, pointed at all
 * three nodes with R3 and waiting for them; the single-node NATS switched off.
 * `confs` maps a config file path (as mounted from the repository) to its text.
 */
export function composeClusterProblems(cluster: ComposeFile, confs: Record<string, string>): string[] {
  const problems: string[] = [];
  const natsNodes = Object.keys(cluster.services)
    .filter((name) => cluster.services[name]!.image?.startsWith('nats:'))
    .sort();
  if (natsNodes.join(' ') !== NATS_NODES.join(' ')) {
    problems.push(`compose cluster: NATS nodes ${natsNodes.join(', ')}, want ${NATS_NODES.join(', ')}`);
  }
  const single = cluster.services.nats;
  if (!single?.profiles?.length) problems.push('compose cluster: the single-node nats is not switched off');

  const dataVolumes = new Set<string>();
  for (const name of natsNodes) {
    const node = cluster.services[name]!;
    const configPath = node.command?.[node.command.indexOf('--config') + 1];
    const mount = (node.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === configPath);
    const text = mount ? confs[mount[0]!.replace(/^\.\//, '')] : undefined;
    if (text === undefined) {
      problems.push(`compose ${name}: its config ${configPath} is not mounted from a known file`);
      continue;
    }
    const conf = parseNatsConf(text);
    const serverName = String(conf.server_name ?? '');
    const ownName = serverName.startsWith('$') ? node.environment?.[serverName.slice(1)] : serverName;
    if (ownName !== name) problems.push(`compose ${name}: server name ${ownName}, want ${name}`);
    const storeDir = (conf.jetstream as NatsConf | undefined)?.store_dir;
    if (storeDir === undefined) problems.push(`compose ${name}: JetStream is not enabled`);
    const data = (node.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === storeDir)?.[0];
    if (!data || !(data in (cluster.volumes ?? {}))) problems.push(`compose ${name}: no named volume at ${storeDir}`);
    else if (dataVolumes.has(data)) problems.push(`compose ${name}: shares the volume ${data}`);
    else dataVolumes.add(data);
    problems.push(...clusterProblems(conf, NATS_NODES).map((p) => `compose ${name}: ${p}`));
  }

  for (const name of SERVICES) {
    const service = cluster.services[name];
    if (!service) {
      problems.push(`compose cluster: no service ${name}`);
      continue;
    }
    if ((service.deploy?.replicas ?? 1) < 2) problems.push(`compose cluster ${name}: fewer than 2 replicas`);
    problems.push(...serviceEnvironmentProblems(`compose cluster ${name}`, service.environment ?? {}, NATS_NODES));
    for (const node of NATS_NODES) {
      if (service.depends_on?.[node]?.condition !== 'service_healthy') {
        problems.push(`compose cluster ${name}: does not wait for ${node}`);
      }
    }
    if (single?.profiles?.length && service.depends_on?.nats?.required !== false) {
      problems.push(`compose cluster ${name}: still requires the switched-off nats`);
    }
  }
  return problems;
}

/**
 * The replicas keep nothing on disk: no volume but emptyDir (a writable /tmp) or a
 * read-only Secret; governance takes the bootstrap admin key from a Secret,
 * and audit its checkpoint signing key, since a key generated into
 * AOS_DATA_DIR would differ from one replica to the next.
 */
export function statelessProblems(manifests: Manifest[]): string[] {
  return SERVICES.flatMap((name) => {
    const pod = find(manifests, 'Deployment', name)?.spec?.template?.spec;
    const problems = (pod?.volumes ?? [])
      .filter((volume) => !('emptyDir' in volume) && !('secret' in volume))
      .map((volume) => `${name}: volume ${volume.name} is neither an emptyDir nor a Secret`);
    if (name === 'audit') problems.push(...signingKeyProblems(pod));
    if (name === 'governance') {
      const env = ((pod?.containers?.[0] ?? {}) as Container).env ?? [];
      const key = env.find((e) => e.name === 'AOS_BOOTSTRAP_API_KEY') as
        { valueFrom?: { secretKeyRef?: { name?: string; optional?: boolean } } } | undefined;
      const ref = key?.valueFrom?.secretKeyRef;
      if (!ref?.name || ref.optional) problems.push('governance: AOS_BOOTSTRAP_API_KEY is not from a required Secret');
    }
    return problems;
  });
}

/** Audit signs with AOS_AUDIT_SIGNING_KEY_FILE, a file of a required Secret volume mounted where it points. */
function signingKeyProblems(pod: PodSpec | undefined): string[] {
  const container = (pod?.containers?.[0] ?? {}) as Container & {
    volumeMounts?: { name: string; mountPath: string }[];
  };
  const file = (container.env ?? []).find((e) => e.name === 'AOS_AUDIT_SIGNING_KEY_FILE') as
    { value?: string } | undefined;
  if (!file?.value) return ['audit: AOS_AUDIT_SIGNING_KEY_FILE is not set'];
  const mount = (container.volumeMounts ?? []).find((m) => file.value?.startsWith(`${m.mountPath}/`));
  const volume = (pod?.volumes ?? []).find((v) => v.name === mount?.name) as
    { secret?: { secretName?: string; optional?: boolean } } | undefined;
  if (!volume?.secret?.secretName || volume.secret.optional) {
    return ['audit: AOS_AUDIT_SIGNING_KEY_FILE is not in a required Secret volume'];
  }
  return [];
}

/**
 * The edges of the cluster override: the gateway replicas publish no host port
 * (they could not share one) while another service publishes 50051 for them,
 * and governance gets no volume and refuses to start without the bootstrap key.
 * Reads the YAML nodes, since `!reset` is a tag that only Compose interprets.
 */
export function composeEdgeProblems(doc: Document): string[] {
  const problems: string[] = [];
  const tagOf = (path: string[]) => (doc.getIn(path, true) as { tag?: string } | undefined)?.tag;
  const cluster = doc.toJS({ maxAliasCount: -1 }) as ComposeFile;
  if (tagOf(['services', 'gateway', 'ports']) !== '!reset') {
    problems.push('compose cluster gateway: the published port of docker-compose.yml is not reset');
  }
  const publishers = Object.entries(cluster.services)
    .filter(([name, service]) => name !== 'gateway' && (service.ports ?? []).some((p) => String(p).endsWith(':50051')))
    .map(([name]) => name);
  if (publishers.length !== 1) problems.push(`compose cluster: ${publishers.length} services publish 50051, want 1`);
  if (tagOf(['services', 'governance', 'volumes']) !== '!reset') {
    problems.push('compose cluster governance: keeps the volume of docker-compose.yml');
  }
  const key = String(cluster.services.governance?.environment?.AOS_BOOTSTRAP_API_KEY ?? '');
  if (!key.startsWith('${AOS_BOOTSTRAP_API_KEY:?')) {
    problems.push('compose cluster governance: AOS_BOOTSTRAP_API_KEY is not required (${AOS_BOOTSTRAP_API_KEY:?...})');
  }
  return problems;
}
