// The Pod kind: a valid Pod loads with its defaults; what is wrong is reported at its line:col —
// two containers on one port, duplicate names, a mount of a volume the Pod lacks, probes on an
// init container, a member name too long, a Container manifest setting spec.pod; memberSpec()
// gives each container the Pod's restart policy, host name, network, volumes and namespaces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatManifestError, loadManifests } from '../../specs/load.ts';
import { memberName, memberSpec, podPorts, type PodManifest } from '../../specs/pod.ts';

const load = (text: string) => loadManifests([{ file: '/m/pod.yaml', text }]);
const lines = (text: string) => load(text).errors.map(formatManifestError);

const POD = `apiVersion: berth.dev/v1
kind: Pod
metadata: {name: web}
spec:
  restartPolicy: OnFailure
  volumes: [{name: data, emptyDir: {}}]
  initContainers:
  - {name: setup, image: reg.local/busybox:1, command: ['true']}
  containers:
  - name: httpd
    image: reg.local/busybox:1
    ports: [{containerPort: 8080, hostPort: 8080}]
    volumeMounts: [{name: data, mountPath: /www}]
  - name: sidecar
    image: reg.local/busybox:1
`;

describe('Pod kind', () => {
  it('loads a valid Pod with defaults', () => {
    const { objects, errors } = load(POD);
    assert.deepEqual(errors, []);
    const m = objects[0]!.manifest as PodManifest;
    assert.equal(m.kind, 'Pod');
    assert.equal(m.spec.terminationGracePeriodSeconds, 30);
    assert.equal(m.spec.containers[0]!.ports![0]!.protocol, 'TCP');
  });

  it('makes each member a Container of the Pod: its restart policy, host name, volumes and namespaces', () => {
    const m = load(POD).objects[0]!.manifest as PodManifest;
    const init = memberSpec('web', 'u1', m.spec, m.spec.initContainers![0]!, true);
    assert.equal(init.restartPolicy, 'OnFailure');
    assert.deepEqual(init.pod, { name: 'web', uid: 'u1' });
    assert.equal(init.hostname, 'web');
    assert.equal(init.volumes, undefined);
    const httpd = memberSpec('web', 'u1', m.spec, m.spec.containers[0]!, false);
    assert.equal(httpd.restartPolicy, 'OnFailure');
    assert.deepEqual(httpd.volumes, [{ name: 'data', emptyDir: { medium: '' } }]);
    assert.equal((httpd as { name?: string }).name, undefined);
    assert.equal(memberName('web', 'httpd'), 'web-httpd');
    assert.deepEqual(podPorts(m.spec).map((p) => p.containerPort), [8080]);
    // Under restartPolicy Never an init container is not restarted either.
    assert.equal(memberSpec('web', 'u1', { ...m.spec, restartPolicy: 'Never' }, m.spec.initContainers![0]!, true).restartPolicy, 'Never');
    assert.equal(memberSpec('web', 'u1', { ...m.spec, restartPolicy: 'Always' }, m.spec.initContainers![0]!, true).restartPolicy, 'OnFailure');
  });

  it('reports two containers on one port, at the second one', () => {
    const text = `apiVersion: berth.dev/v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - {name: a, image: r.local/b:1, ports: [{containerPort: 8080}]}
  - {name: b, image: r.local/b:1, ports: [{containerPort: 8080}]}
`;
    assert.deepEqual(lines(text), [
      '/m/pod.yaml:7:59: Pod "web": spec.containers[1].ports[0].containerPort: port 8080/TCP is already used by container "a" of this Pod; its containers share one network namespace, so each port can be used once',
    ]);
    assert.equal(load(text).objects.length, 0);
  });

  it('reports duplicate names, missing volumes, probes on init containers, long member names', () => {
    const bad = `apiVersion: berth.dev/v1
kind: Pod
metadata: {name: web}
spec:
  initContainers:
  - {name: a, image: r.local/b:1, readinessProbe: {exec: {command: ['true']}}}
  containers:
  - {name: a, image: r.local/b:1, volumeMounts: [{name: nope, mountPath: /x}]}
  - {name: ${'x'.repeat(60)}, image: r.local/b:1}
`;
    assert.deepEqual(lines(bad), [
      '/m/pod.yaml:6:51: Pod "web": spec.initContainers[0].readinessProbe: an init container runs to completion: it takes no probes (move the container to spec.containers)',
      '/m/pod.yaml:8:12: Pod "web": spec.containers[0].name: duplicate container name "a" (already used at spec.initContainers[0]); the containers of a Pod need names of their own',
      '/m/pod.yaml:8:57: Pod "web": spec.containers[0].volumeMounts[0].name: no volume named "nope" in the Pod\'s spec.volumes',
      `/m/pod.yaml:9:12: Pod "web": spec.containers[1].name: the member "web-${'x'.repeat(60)}" (Pod name "-" container name) is longer than 63 characters; shorten the Pod's or the container's name`,
    ]);
  });

  it('refuses spec.pod in a Container manifest and an Image name that does not exist in a Pod', () => {
    assert.deepEqual(lines(`apiVersion: berth.dev/v1
kind: Container
metadata: {name: c}
spec: {image: r.local/b:1, pod: {name: web, uid: x}}
`), ['/m/pod.yaml:4:33: Container "c": spec.pod: set by berth on the members of a Pod, not in a manifest; write a Pod (kind: Pod) whose containers share its namespaces']);
    assert.match(lines(POD.replace('image: reg.local/busybox:1\n    ports', 'image: app\n    ports')).join('\n'), /11:12: Pod "web": spec.containers\[0\].image: no Image object named "app"/);
  });
});
