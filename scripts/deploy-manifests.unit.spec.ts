import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

/**
 * The Kubernetes manifests cannot be applied here (no cluster), so their shape
 * is checked: a misspelt container field (a search-and-replace once turned
 * `resources:` into `routing:`) is silently dropped or refused by kubectl.
 */
const K8S = join(import.meta.dirname, '..', 'deploy', 'k8s');
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
const SERVICES = ['lifecycle', 'audit', 'governance', 'resources', 'routing', 'runtime', 'gateway'];

interface Manifest {
  kind?: string;
  metadata?: { name?: string };
  spec?: { template?: { spec?: { containers?: Record<string, unknown>[] } } };
}

const kustomization = parseAllDocuments(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8'))[0]!.toJSON() as {
  resources: string[];
};
const manifests = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d) => ({ file, doc: d.toJSON() as Manifest })),
);

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
});
