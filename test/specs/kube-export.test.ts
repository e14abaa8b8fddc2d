// berth objects out as Kubernetes manifests: every example in manifests/ exports (its built Images
// named by where they were pushed), validates against the Kubernetes OpenAPI schema (the
// kubernetes-models package's validators), and loads back into berth as objects that run the same
// containers (image, command, args, env, ports, probes, limits). A built Image never pushed is a
// clear error.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createRequire } from 'node:module';
import { readManifestInputs } from '../../specs/files.ts';
import { loadManifests } from '../../specs/load.ts';
import { exportToKubernetes } from '../../specs/kube/export.ts';
import { memberSpec, type PodManifest } from '../../specs/pod.ts';
import { ContainerSpec, type ImageSpec } from '../../specs/schema.ts';
import type { Manifest } from '../../specs/objects.ts';
import { REPO } from '../fixtures/helpers.ts';

const require = createRequire(import.meta.url);
/** The kubernetes-models class of a document's kind, whose validate() checks it against the OpenAPI schema. */
function validate(doc: Record<string, unknown>): void {
  const group = doc.apiVersion === 'v1' ? 'v1' : (doc.apiVersion as string);
  const Model = (require(`kubernetes-models/${group}/${doc.kind as string}`) as Record<string, new (d: unknown) => { validate(): void }>)[doc.kind as string]!;
  new Model(doc).validate();
}

const PUSHED = new Map([['busybox', '127.0.0.1:5000/busybox:static'], ['web', '127.0.0.1:5000/examples/web:1.0']]);

async function examples(): Promise<Manifest[]> {
  const { objects, errors } = loadManifests(await readManifestInputs([join(REPO, 'manifests')]));
  assert.deepEqual(errors, []);
  return objects.map((o) => o.manifest);
}

const images = (ms: Manifest[]) => new Map(ms.filter((m) => m.kind === 'Image').map((m) => [m.metadata.name, m.spec as ImageSpec]));
/** What makes two containers the same: what they run and how they are reached and kept. */
const running = (s: Record<string, unknown>) => {
  const c = ContainerSpec.parse(s);
  return { image: c.image, command: c.command, args: c.args, env: c.env, ports: c.ports, livenessProbe: c.livenessProbe, readinessProbe: c.readinessProbe, memory: c.resources?.limits?.memory, restartPolicy: c.restartPolicy, volumes: c.volumes, volumeMounts: c.volumeMounts };
};

describe('export to Kubernetes', () => {
  it('exports every example in manifests/, valid against the Kubernetes schema', async () => {
    const ms = await examples();
    const { documents, warnings } = exportToKubernetes(ms, { images: images(ms), pushed: PUSHED });
    assert.ok(documents.length >= ms.filter((m) => m.kind === 'Container').length);
    for (const d of documents) validate(d);
    assert.ok(warnings.some((w) => /limits\.pids left out/.test(w)));
    assert.deepEqual(documents.map((d) => `${d.kind as string}/${(d.metadata as { name: string }).name}`).sort(), ['Pod/crashloop', 'Pod/liveness', 'Pod/web', 'Service/web']);
  });

  it('round-trips: the exported YAML loads back into berth objects that run the same containers', async () => {
    const ms = await examples();
    const { documents } = exportToKubernetes(ms, { images: images(ms), pushed: PUSHED });
    const { stringify } = await import('yaml');
    const back = loadManifests([{ file: '/exported.yaml', text: documents.map((d) => stringify(d)).join('---\n') }]);
    assert.deepEqual(back.errors, []);
    assert.deepEqual(back.warnings, []);
    for (const m of ms.filter((x) => x.kind === 'Container')) {
      const pod = back.objects.find((o) => o.manifest.kind === 'Pod' && o.manifest.metadata.name === m.metadata.name)!.manifest as PodManifest;
      const member = memberSpec(pod.metadata.name, 'uid', pod.spec, pod.spec.containers[0]!, false);
      const want = running({ ...m.spec, image: PUSHED.get((m.spec as { image: string }).image) });
      assert.deepEqual(running(member), want, m.metadata.name);
    }
    assert.ok(back.objects.some((o) => o.manifest.kind === 'Service'));
  });

  it('exports Pods, Deployments, ConfigMaps, Secrets and Volumes valid for a cluster', () => {
    const { objects, errors } = loadManifests([{ file: '/k.yaml', text: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers: [{name: init, image: reg.local/b:1, command: ['true']}]
      containers:
      - name: app
        image: reg.local/b:1
        env: [{name: A, valueFrom: {configMapKeyRef: {name: conf, key: a}}}]
        envFrom: [{secretRef: {name: creds}}]
        volumeMounts: [{name: conf, mountPath: /conf}, {name: data, mountPath: /data}]
      volumes: [{name: conf, configMap: {name: conf}}, {name: data, persistentVolumeClaim: {claimName: data}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: conf}
data: {a: "1"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: x}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: 8080, nodePort: 30080}]}
` }]);
    assert.deepEqual(errors, []);
    const { documents } = exportToKubernetes(objects.map((o) => o.manifest), { images: new Map() });
    assert.deepEqual(documents.map((d) => `${d.apiVersion as string} ${d.kind as string}`), ['apps/v1 Deployment', 'v1 ConfigMap', 'v1 Secret', 'v1 PersistentVolumeClaim', 'v1 Service']);
    for (const d of documents) validate(d);
  });

  it('says why a built Image cannot be exported: not pushed, no --image', async () => {
    const ms = await examples();
    assert.throws(() => exportToKubernetes(ms, { images: images(ms) }), /Image "busybox" is built by berth and not pushed, so a cluster cannot pull localhost\/busybox:static; push it \(spec.push: true and a registry ref\) or say where it was pushed with --image busybox=REGISTRY\/REPO:TAG/);
  });
});
