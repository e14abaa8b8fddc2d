// Kubernetes manifests in: a v1 Pod, an apps/v1 Deployment, a v1 ConfigMap and Secret become berth's
// objects; fields berth does not run are warnings at their line:col, fields whose meaning would be
// lost are errors; metadata.namespace prefixes names (and the names they refer to).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatManifestError, loadManifests } from '../../specs/load.ts';
import type { PodManifest } from '../../specs/pod.ts';
import type { DeploymentManifest } from '../../specs/deployment.ts';
import type { SecretManifest } from '../../specs/config-data.ts';

const load = (text: string) => loadManifests([{ file: '/k/app.yaml', text }]);

describe('Kubernetes manifests', () => {
  it('takes a v1 Pod, warning about what berth ignores at its line:col', () => {
    const r = load(`apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
  uid: 1234
spec:
  nodeSelector: {disk: ssd}
  serviceAccountName: web
  containers:
  - name: app
    image: reg.local/app:1
    resources: {requests: {cpu: 100m}, limits: {memory: 64Mi}}
    lifecycle: {preStop: {exec: {command: [sh]}}}
status: {phase: Running}
`);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings.map(formatManifestError), [
      '/k/app.yaml:6:3: Pod "web": metadata.uid: ignored by berth: set by the API server; berth keeps its own',
      '/k/app.yaml:8:3: Pod "web": spec.nodeSelector: ignored by berth: one host: every Pod runs on it',
      '/k/app.yaml:9:3: Pod "web": spec.serviceAccountName: ignored by berth: no service account token is mounted',
      '/k/app.yaml:13:17: Pod "web": spec.containers[0].resources.requests: ignored by berth: one host does not schedule: limits are enforced, requests are not',
      '/k/app.yaml:14:5: Pod "web": spec.containers[0].lifecycle: ignored by berth: postStart and preStop hooks are not run',
      '/k/app.yaml:15:1: Pod "web": status: ignored by berth: status is reported by berth',
    ]);
    const m = r.objects[0]!.manifest as PodManifest;
    assert.equal(m.apiVersion, 'berth.dev/v1');
    assert.equal(m.kind, 'Pod');
    assert.deepEqual(m.spec.containers[0]!.resources, { limits: { memory: '64Mi' } });
  });

  it('refuses what would change the meaning: hostPID, a grpc probe, an nfs volume; hostNetwork is the host network', () => {
    const r = load(`apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  hostPID: true
  hostNetwork: true
  volumes: [{name: v, nfs: {server: x, path: /}}]
  containers:
  - {name: app, image: reg.local/app:1, livenessProbe: {grpc: {port: 1}}}
`);
    assert.deepEqual(r.errors.map(formatManifestError), [
      '/k/app.yaml:5:12: Pod "web": spec.hostPID: berth does not support hostPID: true: the containers would not see the host\'s processes',
      '/k/app.yaml:7:28: Pod "web": spec.volumes[0].nfs: berth does not support the volume source "nfs" on one host (its data would be missing); use emptyDir, hostPath, persistentVolumeClaim, configMap or secret',
      '/k/app.yaml:9:63: Pod "web": spec.containers[0].livenessProbe.grpc: berth does not support gRPC probes; use exec, httpGet or tcpSocket',
    ]);
    const ok = load(`apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  hostNetwork: true
  hostPID: false
  containers: [{name: app, image: reg.local/app:1}]
`);
    assert.deepEqual(ok.errors, []);
    assert.equal((ok.objects[0]!.manifest as PodManifest).spec.network, 'host');
  });

  it('prefixes names of another namespace, and the names a Pod refers to', () => {
    const r = load(`apiVersion: v1
kind: Pod
metadata: {name: web, namespace: team}
spec:
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}, {name: conf, configMap: {name: conf}}]
  containers:
  - name: app
    image: reg.local/app:1
    env: [{name: A, valueFrom: {configMapKeyRef: {name: conf, key: a}}}]
    envFrom: [{secretRef: {name: creds}}]
    volumeMounts: [{name: data, mountPath: /data}, {name: conf, mountPath: /conf}]
`);
    assert.deepEqual(r.errors, []);
    const m = r.objects[0]!.manifest as PodManifest;
    assert.equal(m.metadata.name, 'team-web');
    assert.equal(m.metadata.labels?.['berth.dev/namespace'], 'team');
    assert.equal(m.spec.volumes![0]!.persistentVolumeClaim!.claimName, 'team-data');
    assert.equal(m.spec.volumes![1]!.configMap!.name, 'team-conf');
    assert.equal(m.spec.containers[0]!.env![0]!.valueFrom!.configMapKeyRef!.name, 'team-conf');
    assert.equal(m.spec.containers[0]!.envFrom![0]!.secretRef!.name, 'team-creds');
  });

  it('takes an apps/v1 Deployment; replicas -1 and a selector that misses the template are located errors', () => {
    const text = (replicas: number, app: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${replicas}
  revisionHistoryLimit: 3
  selector: {matchLabels: {app: web}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: ${app}}}
    spec:
      containers: [{name: app, image: reg.local/app:1}]
`;
    const r = load(text(3, 'web'));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings.map(formatManifestError), ['/k/app.yaml:6:3: Deployment "web": spec.revisionHistoryLimit: ignored by berth: berth keeps no old ReplicaSets: a rollout replaces Pods directly']);
    const d = r.objects[0]!.manifest as DeploymentManifest;
    assert.equal(d.kind, 'Deployment');
    assert.equal(d.spec.replicas, 3);
    assert.deepEqual(load(text(-1, 'other')).errors.map(formatManifestError), [
      '/k/app.yaml:5:13: Deployment "web": spec.replicas: must be at least 0 (got number -1)',
      '/k/app.yaml:7:33: Deployment "web": spec.selector.matchLabels.app: selector does not match template labels: the template has no label app=web',
    ]);
  });

  it('takes v1 ConfigMap and Secret (stringData encoded as data)', () => {
    const r = load(`apiVersion: v1
kind: ConfigMap
metadata: {name: conf}
data: {greeting: hello}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
type: Opaque
data: {user: YWRtaW4=}
stringData: {password: s3cret}
`);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.objects.map((o) => `${o.manifest.kind}/${o.manifest.metadata.name}`), ['ConfigMap/conf', 'Secret/creds']);
    assert.deepEqual((r.objects[1]!.manifest as SecretManifest).spec.data, { user: 'YWRtaW4=', password: Buffer.from('s3cret').toString('base64') });
  });

  it('keeps berth.dev/v1 Pods berth\'s own', () => {
    const r = load(`apiVersion: berth.dev/v1
kind: Pod
metadata: {name: web}
spec:
  nodeSelector: {a: b}
  containers: [{name: app, image: reg.local/app:1}]
`);
    assert.match(r.errors.map(formatManifestError).join('\n'), /5:3: Pod "web": spec.nodeSelector: unknown field "nodeSelector"/);
  });
});

describe('a v1 Pod\'s securityContext', () => {
  it('is its containers\' defaults; a container\'s own fields win; what berth cannot do is a warning', () => {
    const r = load(`apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  securityContext: {runAsUser: 1000, runAsNonRoot: true, fsGroup: 2000}
  containers:
  - {name: a, image: reg.local/app:1}
  - {name: b, image: reg.local/app:1, securityContext: {runAsUser: 1001}}
`);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings.map(formatManifestError), ['/k/app.yaml:5:58: Pod "web": spec.securityContext.fsGroup: ignored by berth: volume ownership is not changed; chown the data or run as its owner']);
    const m = r.objects[0]!.manifest as PodManifest;
    assert.deepEqual(m.spec.containers.map((c) => c.securityContext), [{ runAsUser: 1000, runAsNonRoot: true }, { runAsUser: 1001, runAsNonRoot: true }]);
  });
});

describe('delete -f of Kubernetes manifests', () => {
  it('names the stored objects: a namespace prefixes the name', async () => {
    const { extractRefs } = await import('../../specs/load.ts');
    const { refs } = extractRefs([{ file: '/k.yaml', text: 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: team}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: conf, namespace: default}\n' }]);
    assert.deepEqual(refs.map((r) => `${r.kind}/${r.name}`), ['Pod/team-web', 'ConfigMap/conf']);
  });
});
