// Pods with real containers (runc), through the compiled CLI: containers that share one network
// namespace (localhost reaches a sibling, one address, ports published once), IPC and UTS; init
// containers run in order before the others, and a failing one keeps the Pod at Init:Error while
// its controller restarts it with backoff; every member is a Container (ps, logs, exec); deleting
// the Pod removes the members and the shared namespaces. In a private network namespace.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { apply, suiteWorld, until } from './helpers.ts';

type PodObj = { status?: { phase?: string; reason?: string; podIP?: string; containerStatuses?: Array<{ name: string; ready: boolean }>; initContainerStatuses?: Array<{ name: string; restartCount: number }>; conditions?: Array<{ type: string; status: string }> } };

if (insidePrivateNetns(import.meta.url, { timeout: 900_000 })) {
  describe('Pods', { timeout: 900_000 }, () => {
    const s = suiteWorld();
    const { ok } = s;
    const pod = (name: string) => s.w.client.json<PodObj>('GET', `/v1/objects/Pod/${name}`);
    const mountsUnder = (dir: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(dir));

    it('runs httpd and a sidecar that reaches it on localhost; one address, one host name; delete removes it all', async () => {
      await apply(s.w, `apiVersion: berth.dev/v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: httpd
    image: ${s.w.image}
    command: [sh, -c, 'mkdir -p /www && echo hello-from-httpd > /www/index.html && exec httpd -f -p 8080 -h /www']
    ports: [{containerPort: 8080, hostPort: 18080}]
    readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
  - name: sidecar
    image: ${s.w.image}
    command: [sh, -c, 'until wget -q -O - http://localhost:8080/; do sleep 0.2; done; echo fetched; exec sleep 600']
`);
      const ready = await until('the Pod is Running and Ready', async () => {
        const p = await pod('web');
        return p.status?.reason === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && p;
      }, 120_000);
      assert.equal(ready.status?.phase, 'Running');
      assert.deepEqual(ready.status?.containerStatuses?.map((c) => c.name), ['httpd', 'sidecar']);
      await until('the sidecar fetched the page', async () => (await ok(['logs', 'web-sidecar'])).includes('fetched'));
      assert.match(await ok(['logs', 'web-sidecar']), /hello-from-httpd/);
      // Members are Containers: ps, exec; both see the same address and host name.
      const ps = await ok(['ps', '--format', '{{.Names}}']);
      assert.match(ps, /web-httpd/);
      assert.match(ps, /web-sidecar/);
      const ip = ready.status!.podIP!;
      assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
      for (const m of ['web-httpd', 'web-sidecar']) {
        assert.match(await ok(['exec', m, 'ip', '-4', 'addr']), new RegExp(`inet ${ip.replace(/\./g, '\\.')}/`));
        assert.equal(await ok(['exec', m, 'hostname']), 'web\n');
      }
      // The port is published once, for the Pod: reachable on the host port.
      const page = await fetch('http://127.0.0.1:18080/').then((r) => r.text());
      assert.equal(page, 'hello-from-httpd\n');
      assert.match(await ok(['get', 'pods']), /web\s+2\/2\s+Running\s+0\s+\d+\.\d+\.\d+\.\d+/);
      // The daemon restarts: the Pod keeps its containers, its address and its namespaces.
      const ids = await ok(['ps', '-q', '--no-trunc', '-f', 'name=web-']);
      await s.w.daemon!.stop();
      await s.w.start();
      await until('the Pod is Running again', async () => (await pod('web')).status?.reason === 'Running', 60_000);
      assert.equal(await ok(['ps', '-q', '--no-trunc', '-f', 'name=web-']), ids);
      assert.equal((await pod('web')).status?.podIP, ip);
      assert.match(await ok(['exec', 'web-sidecar', 'wget', '-q', '-O', '-', 'http://localhost:8080/']), /hello-from-httpd/);
      // Deleting the Pod removes every member and the shared namespaces.
      await ok(['delete', 'pod', 'web']);
      const sandboxes = join(s.w.root, 'sandboxes');
      await until('members and sandbox are gone', async () => !(await ok(['ps', '-a', '--format', '{{.Names}}'])).includes('web-') && readdirSync(sandboxes).length === 0, 60_000);
      assert.deepEqual(mountsUnder(sandboxes + '/'), []);
    });

    it('runs init containers in order before the others start', async () => {
      await apply(s.w, `apiVersion: berth.dev/v1
kind: Pod
metadata: {name: ordered}
spec:
  terminationGracePeriodSeconds: 2
  volumes: [{name: work, emptyDir: {}}]
  initContainers:
  - {name: first, image: ${s.w.image}, command: [sh, -c, 'sleep 1; echo one >> /work/order'], volumeMounts: [{name: work, mountPath: /work}]}
  - {name: second, image: ${s.w.image}, command: [sh, -c, 'echo two >> /work/order'], volumeMounts: [{name: work, mountPath: /work}]}
  containers:
  - {name: main, image: ${s.w.image}, command: [sh, -c, 'echo main >> /work/order; cat /work/order; exec sleep 600'], volumeMounts: [{name: work, mountPath: /work}]}
`);
      await until('the Pod runs', async () => (await pod('ordered')).status?.reason === 'Running', 120_000);
      await until('main printed the order', async () => (await ok(['logs', 'ordered-main'])).includes('main'));
      assert.equal(await ok(['logs', 'ordered-main']), 'one\ntwo\nmain\n');
      const p = await pod('ordered');
      assert.equal(p.status?.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
      await ok(['delete', 'pod', 'ordered']);
    });

    it('keeps the Pod at Init:Error while a failing init container is restarted with backoff', async () => {
      await apply(s.w, `apiVersion: berth.dev/v1
kind: Pod
metadata: {name: broken}
spec:
  terminationGracePeriodSeconds: 2
  initContainers:
  - {name: setup, image: ${s.w.image}, command: [sh, -c, 'echo failing; exit 3']}
  containers:
  - {name: main, image: ${s.w.image}, command: [sleep, '600']}
`);
      const p = await until('the init container was restarted', async () => {
        const q = await pod('broken');
        return (q.status?.initContainerStatuses?.[0]?.restartCount ?? 0) >= 1 && q;
      }, 120_000);
      assert.equal(p.status?.reason, 'Init:Error');
      assert.equal(p.status?.phase, 'Pending');
      assert.equal(p.status?.conditions?.find((c) => c.type === 'Initialized')?.status, 'False');
      // The containers after it were never made.
      assert.doesNotMatch(await ok(['ps', '-a', '--format', '{{.Names}}']), /broken-main/);
      await ok(['delete', 'pod', 'broken']);
      await until('its sandbox is released', async () => !existsSync(join(s.w.root, 'sandboxes')) || readdirSync(join(s.w.root, 'sandboxes')).length === 0, 60_000);
    });
  });
}
