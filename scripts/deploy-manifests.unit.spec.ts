import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parseDocument } from 'yaml';
import {
  agentosConfigProblems,
  composeClusterProblems,
  composeEdgeProblems,
  deploymentReplicaProblems,
  disruptionBudgetProblems,
  natsStatefulSetProblems,
  parseNatsConf,
  routePolicyProblems,
  scalingProblems,
  SERVICES,
  statelessProblems,
  type ComposeFile,
  type Manifest,
} from './deploy-manifests.checks';

/**
 * The Kubernetes manifests and compose files cannot be applied here (no cluster,
 * no Docker engine), so their shape is checked: a misspelt container field (a
 * search-and-replace once turned `resources:` into `routing:`) is silently
 * dropped or refused by kubectl, and the production topology (every service
 * replicated, NATS as a 3-node JetStream cluster, the log at R3) must not
 * quietly regress. Each topology check also runs on a broken copy of the real
 * files, so that it is known to fail when it should.
 */
const ROOT = join(import.meta.dirname, '..');
const K8S = join(ROOT, 'deploy', 'k8s');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
/** The fields of a Kubernetes v1 Container. */
const CONTAINER_FIELDS = new Set([
  'name',
  'image',
  'imagePullPolicy',
  'command',
  'args',
  'workingDir',
  'ports',
  'env',
  'envFrom',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'volumeMounts',
  'volumeDevices',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'securityContext',
  'stdin',
  'stdinOnce',
  'tty',
]);

const kustomization = parseAllDocuments(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8'))[0]!.toJSON() as {
  resources: string[];
};
const manifests = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d) => ({ file, doc: d.toJSON() as Manifest })),
);
const docs = manifests.map((m) => m.doc);

/** A compose file with its YAML merge keys (`<<: *anchor`) resolved, as Compose reads it. */
function parseCompose(text: string) {
  const doc = parseDocument(text, { merge: true });
  return { doc, compose: doc.toJS({ maxAliasCount: -1 }) as ComposeFile };
}
const base = parseCompose(read('docker-compose.yml'));
const clusterText = read('docker-compose.cluster.yml');
const cluster = parseCompose(clusterText);
const NATS_CONFS = {
  'deploy/nats/nats-server.conf': read('deploy/nats/nats-server.conf'),
  'deploy/nats/nats-cluster.conf': read('deploy/nats/nats-cluster.conf'),
};

/** A deep copy of `value` changed by `change`: the real files with one thing broken. */
function broken<T>(value: T, change: (copy: T) => void): T {
  const copy = structuredClone(value);
  change(copy);
  return copy;
}
const manifest = (all: Manifest[], kind: string, name: string) =>
  all.find((m) => m?.kind === kind && m.metadata?.name === name)!;
const natsConfigMap = (all: Manifest[]) => manifest(all, 'ConfigMap', 'nats-config').data!;
const editNatsConf = (all: Manifest[], edit: (text: string) => string) => {
  const data = natsConfigMap(all);
  const next = edit(data['nats-server.conf']!);
  if (next === data['nats-server.conf']) throw new Error('the edit changed nothing');
  data['nats-server.conf'] = next;
};
const replaceOnce = (text: string, from: string, to: string) => {
  if (!text.includes(from)) throw new Error(`${from} is not in the text`);
  return text.replace(from, to);
};

describe('deploy/k8s', () => {
  it('has a Deployment for every service, each container using only Container fields and with resources', () => {
    const deployments = manifests.filter((m) => m.doc?.kind === 'Deployment');
    expect(deployments.map((m) => m.doc.metadata?.name)).toEqual(expect.arrayContaining(SERVICES));
    for (const { file, doc } of deployments) {
      const containers = doc.spec?.template?.spec?.containers ?? [];
      expect(containers.length, file).toBeGreaterThan(0);
      for (const container of containers) {
        expect(
          Object.keys(container).filter((k) => !CONTAINER_FIELDS.has(k)),
          file,
        ).toEqual([]);
        expect(container.resources, `${file}: resources`).toMatchObject({ requests: {}, limits: {} });
      }
    }
  });

  it('runs every AgentOS service at two replicas or more, each with a disruption budget and no state', () => {
    expect(deploymentReplicaProblems(docs)).toEqual([]);
    expect(disruptionBudgetProblems(docs)).toEqual([]);
    expect(statelessProblems(docs)).toEqual([]);
  });

  it('runs NATS as a 3-node JetStream StatefulSet whose routes name all three pods', () => {
    expect(natsStatefulSetProblems(docs)).toEqual([]);
    expect(routePolicyProblems(docs)).toEqual([]);
  });

  it('points the services at the three NATS pods, with the log and KV buckets at 3 replicas', () => {
    expect(agentosConfigProblems(docs)).toEqual([]);
  });

  type Breakage = [string, (all: Manifest[]) => string[], (all: Manifest[]) => void, string];
  it.each<Breakage>([
    [
      'a Deployment has one replica',
      deploymentReplicaProblems,
      (all) => (manifest(all, 'Deployment', 'lifecycle').spec!.replicas = 1),
      'lifecycle: replicas 1, want 2 or more',
    ],
    [
      'a Deployment leaves replicas to the default',
      deploymentReplicaProblems,
      (all) => delete manifest(all, 'Deployment', 'gateway').spec!.replicas,
      'gateway: replicas 1, want 2 or more',
    ],
    [
      'a service has no PodDisruptionBudget',
      disruptionBudgetProblems,
      (all) => all.splice(all.indexOf(manifest(all, 'PodDisruptionBudget', 'audit')), 1),
      'audit: no PodDisruptionBudget',
    ],
    [
      'a PodDisruptionBudget lets every replica go',
      disruptionBudgetProblems,
      (all) => (manifest(all, 'PodDisruptionBudget', 'routing').spec!.maxUnavailable = 2),
      'routing: PodDisruptionBudget keeps 0 of 2',
    ],
    [
      'a replica mounts a persistent volume',
      statelessProblems,
      (all) =>
        manifest(all, 'Deployment', 'runtime').spec!.template!.spec!.volumes!.push({
          name: 'data',
          persistentVolumeClaim: { claimName: 'runtime-data' },
        } as never),
      'runtime: volume data is neither an emptyDir nor a Secret',
    ],
    [
      'audit may start without its signing key Secret',
      statelessProblems,
      (all) => {
        const volumes = manifest(all, 'Deployment', 'audit').spec!.template!.spec!.volumes! as {
          name?: string;
          secret?: { optional?: boolean };
        }[];
        volumes.find((v) => v.name === 'signing-key')!.secret!.optional = true;
      },
      'audit: AOS_AUDIT_SIGNING_KEY_FILE is not in a required Secret volume',
    ],
    [
      'governance may start without the bootstrap key Secret',
      statelessProblems,
      (all) => {
        const container = manifest(all, 'Deployment', 'governance').spec!.template!.spec!.containers![0]!;
        const env = container.env as { name: string; valueFrom: { secretKeyRef: { optional?: boolean } } }[];
        env.find((e) => e.name === 'AOS_BOOTSTRAP_API_KEY')!.valueFrom.secretKeyRef.optional = true;
      },
      'governance: AOS_BOOTSTRAP_API_KEY is not from a required Secret',
    ],
    [
      'NATS runs one replica',
      natsStatefulSetProblems,
      (all) => (manifest(all, 'StatefulSet', 'nats').spec!.replicas = 1),
      'StatefulSet nats: replicas 1, want 3',
    ],
    [
      'NATS pods start one after another',
      natsStatefulSetProblems,
      (all) => (manifest(all, 'StatefulSet', 'nats').spec!.podManagementPolicy = 'OrderedReady'),
      'podManagementPolicy is not Parallel',
    ],
    [
      'the headless Service hides not-ready pods',
      natsStatefulSetProblems,
      (all) => (manifest(all, 'Service', 'nats').spec!.publishNotReadyAddresses = false),
      'does not publish not-ready pods',
    ],
    [
      'JetStream is off',
      natsStatefulSetProblems,
      (all) => editNatsConf(all, (text) => replaceOnce(text, 'jetstream {', 'jetstream_off {')),
      'JetStream is not enabled',
    ],
    [
      'JetStream stores outside the volume',
      natsStatefulSetProblems,
      (all) => editNatsConf(all, (text) => replaceOnce(text, 'store_dir: /data', 'store_dir: /tmp/js')),
      'store_dir /tmp/js is not on a volumeClaimTemplate',
    ],
    [
      'the server name is fixed instead of the pod name',
      natsStatefulSetProblems,
      (all) => editNatsConf(all, (text) => replaceOnce(text, 'server_name: $POD_NAME', 'server_name: nats')),
      'server_name is not the pod name',
    ],
    [
      'the routes leave out a pod',
      natsStatefulSetProblems,
      (all) => editNatsConf(all, (text) => replaceOnce(text, 'nats://nats-2.nats:6222', '')),
      'do not name each of nats-0.nats, nats-1.nats, nats-2.nats',
    ],
    [
      'a route names the wrong Service',
      natsStatefulSetProblems,
      (all) => editNatsConf(all, (text) => replaceOnce(text, 'nats-1.nats:6222', 'nats-1.nats-headless:6222')),
      'do not name each of',
    ],
    [
      'there is no cluster block',
      natsStatefulSetProblems,
      (all) => editNatsConf(all, (text) => replaceOnce(text, 'cluster {', 'cluster_off {')),
      'no cluster block',
    ],
    [
      'the cluster has no name',
      natsStatefulSetProblems,
      (all) => editNatsConf(all, (text) => replaceOnce(text, 'name: agentos', '')),
      'the cluster has no name',
    ],
    [
      'AOS_NATS_URL names only the client Service',
      agentosConfigProblems,
      (all) => (manifest(all, 'ConfigMap', 'agentos-config').data!.AOS_NATS_URL = 'nats://nats:4222'),
      'config.yaml: AOS_NATS_URL "nats://nats:4222"',
    ],
    [
      'AOS_NATS_URL leaves out a pod',
      agentosConfigProblems,
      (all) =>
        (manifest(all, 'ConfigMap', 'agentos-config').data!.AOS_NATS_URL =
          'nats://nats-0.nats:4222,nats://nats-1.nats:4222'),
      'config.yaml: AOS_NATS_URL',
    ],
    [
      'AOS_JETSTREAM_REPLICAS is 1',
      agentosConfigProblems,
      (all) => (manifest(all, 'ConfigMap', 'agentos-config').data!.AOS_JETSTREAM_REPLICAS = '1'),
      'config.yaml: AOS_JETSTREAM_REPLICAS "1", want 3',
    ],
    [
      'AOS_JETSTREAM_REPLICAS is missing',
      agentosConfigProblems,
      (all) => delete manifest(all, 'ConfigMap', 'agentos-config').data!.AOS_JETSTREAM_REPLICAS,
      'config.yaml: AOS_JETSTREAM_REPLICAS undefined, want 3',
    ],
    [
      'the NetworkPolicy blocks the route port',
      routePolicyProblems,
      (all) => manifest(all, 'NetworkPolicy', 'nats-agentos-clients-only').spec!.ingress!.pop(),
      'NATS pods may not reach each other on 6222',
    ],
  ])('catches it when %s', (_, check, change, problem) => {
    expect(check(broken(docs, change)).join('\n')).toContain(problem);
  });
});

describe('docker compose', () => {
  it('parses, and every AgentOS service can be scaled (no container_name, no host port but the gateway)', () => {
    expect(base.doc.errors).toEqual([]);
    expect(base.doc.warnings).toEqual([]);
    expect(scalingProblems(base.compose)).toEqual([]);
  });

  it('has a cluster override that parses, with three NATS nodes routed to each other and R3 services', () => {
    expect(cluster.doc.errors).toEqual([]);
    // `!reset` is a Compose merge tag: the YAML parser only notes that it does not know it.
    expect(cluster.doc.warnings.map((w) => w.message).filter((m) => !/^Unresolved tag: !reset/.test(m))).toEqual([]);
    expect(composeClusterProblems(cluster.compose, NATS_CONFS)).toEqual([]);
    expect(composeEdgeProblems(cluster.doc)).toEqual([]);
    expect(scalingProblems(cluster.compose)).toEqual([]);
  });

  it('reads both NATS configs of deploy/nats, and refuses syntax it does not know', () => {
    expect(parseNatsConf(NATS_CONFS['deploy/nats/nats-server.conf'])).toMatchObject({
      server_name: 'agentos-nats',
      port: 4222,
      jetstream: { store_dir: '/data', max_file_store: '8GB' },
    });
    expect(parseNatsConf(NATS_CONFS['deploy/nats/nats-cluster.conf'])).toMatchObject({
      server_name: '$SERVER_NAME',
      lame_duck_duration: '30s',
      cluster: {
        name: 'agentos',
        port: 6222,
        routes: ['nats://nats-0:6222', 'nats://nats-1:6222', 'nats://nats-2:6222'],
        no_advertise: true,
      },
    });
    expect(() => parseNatsConf('include ./accounts.conf\n')).toThrow(/include is not supported/);
    expect(() => parseNatsConf('cluster {\n  port: 6222\n')).toThrow(/missing }/);
  });

  type Breakage = [string, (compose: ComposeFile, confs: Record<string, string>) => void, string];
  it.each<Breakage>([
    ['a NATS node is missing', (c) => delete c.services['nats-2'], 'NATS nodes nats-0, nats-1, want'],
    [
      'two nodes share a volume',
      (c) => (c.services['nats-1']!.volumes![1] = 'nats-0-data:/data'),
      'compose nats-1: shares the volume nats-0-data',
    ],
    [
      "a node has another node's name",
      (c) => (c.services['nats-2']!.environment!.SERVER_NAME = 'nats-1'),
      'compose nats-2: server name nats-1, want nats-2',
    ],
    [
      'the routes leave out a node',
      (_, confs) =>
        (confs['deploy/nats/nats-cluster.conf'] = replaceOnce(
          confs['deploy/nats/nats-cluster.conf']!,
          'nats://nats-1:6222',
          '',
        )),
      'do not name each of nats-0, nats-1, nats-2',
    ],
    [
      'the nodes run the single-node config',
      (c) => (c.services['nats-0']!.volumes![0] = './deploy/nats/nats-server.conf:/etc/nats/nats-cluster.conf:ro'),
      'compose nats-0: nats config: no cluster block',
    ],
    [
      'JetStream is off',
      (_, confs) =>
        (confs['deploy/nats/nats-cluster.conf'] = replaceOnce(
          confs['deploy/nats/nats-cluster.conf']!,
          'jetstream {',
          'jetstream_off {',
        )),
      'JetStream is not enabled',
    ],
    [
      'a service runs one replica',
      (c) => (c.services.audit!.deploy = { replicas: 1 }),
      'compose cluster audit: fewer than 2 replicas',
    ],
    [
      'a service still points at the single node',
      (c) =>
        (c.services.routing!.environment = { ...c.services.routing!.environment, AOS_NATS_URL: 'nats://nats:4222' }),
      'compose cluster routing: AOS_NATS_URL "nats://nats:4222"',
    ],
    [
      'a service keeps the log at R1',
      (c) => (c.services.runtime!.environment = { ...c.services.runtime!.environment, AOS_JETSTREAM_REPLICAS: '1' }),
      'compose cluster runtime: AOS_JETSTREAM_REPLICAS "1", want 3',
    ],
    [
      'a service does not wait for a node',
      (c) => (c.services.lifecycle!.depends_on = { ...c.services.lifecycle!.depends_on, 'nats-2': {} }),
      'compose cluster lifecycle: does not wait for nats-2',
    ],
    [
      'the single-node NATS stays on',
      (c) => delete c.services.nats!.profiles,
      'the single-node nats is not switched off',
    ],
  ])('catches it in the cluster override when %s', (_, change, problem) => {
    const confs = { ...NATS_CONFS };
    const compose = broken(cluster.compose, (c) => change(c, confs));
    expect(composeClusterProblems(compose, confs).join('\n')).toContain(problem);
  });

  it.each([
    ['the gateway keeps its host port', 'ports: !reset []', 'ports: []', 'the published port of docker-compose.yml'],
    ['no one publishes the gateways', "- '${AOS_GATEWAY_PORT:-50051}:50051'", '[]', '0 services publish 50051'],
    ['governance keeps its volume', 'volumes: !reset []', 'volumes: []', 'keeps the volume'],
    [
      'governance may generate the bootstrap key',
      '${AOS_BOOTSTRAP_API_KEY:?',
      '${AOS_BOOTSTRAP_API_KEY:-',
      'AOS_BOOTSTRAP_API_KEY is not required',
    ],
  ])('catches it in the cluster override when %s', (_, from, to, problem) => {
    expect(composeEdgeProblems(parseCompose(replaceOnce(clusterText, from, to)).doc).join('\n')).toContain(problem);
  });

  it.each<[string, (c: ComposeFile) => void, string]>([
    ['a service has a container_name', (c) => (c.services.lifecycle!.container_name = 'lifecycle'), 'container_name'],
    ['a service publishes a host port', (c) => (c.services.audit!.ports = ['8080:8080']), 'compose audit: publishes'],
  ])('catches it in docker-compose.yml when %s', (_, change, problem) => {
    expect(scalingProblems(broken(base.compose, change)).join('\n')).toContain(problem);
  });
});
