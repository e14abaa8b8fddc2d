// Kubernetes manifests through `berth apply -f`, with real containers (runc): a v1 Pod (warnings
// for what berth ignores, at file:line:col), an apps/v1 Deployment of 3 replicas that survives
// killing one Pod's process and rolls a changed template never below replicas - maxUnavailable
// Ready, a ConfigMap edit that recreates its consumer once, a missing ConfigMap reported as
// kubelet reports it, namespaces. In a private network namespace.
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { insidePrivateNetns } from '../engine/network/harness.ts';
import { berth } from '../fixtures/helpers.ts';
import { suiteWorld, until } from './helpers.ts';

type Obj = { metadata: { name: string; generation: number; labels?: Record<string, string>; source?: string }; status?: Record<string, unknown> & { conditions?: Array<{ type: string; status: string }> } };

if (insidePrivateNetns(import.meta.url, { timeout: 1_200_000 })) {
  describe('Kubernetes manifests', { timeout: 1_200_000 }, () => {
    const s = suiteWorld();
    const { ok } = s;
    const obj = (kind: string, name: string) => s.w.client.json<Obj>('GET', `/v1/objects/${kind}/${name}`);
    const list = async (kind: string, selector?: string) => (await s.w.client.json<{ items: Obj[] }>('GET', '/v1/objects', { query: { kind, ...(selector ? { selector } : {}) } })).items;
    const applyFile = async (name: string, text: string, extra: string[] = []) => {
      const file = join(s.w.dir, name);
      await writeFile(file, text);
      return berth(['apply', '-f', file, ...extra], { socket: s.w.socket });
    };
    const ready = (o: Obj) => o.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

    it('applies a v1 Pod, warning at file:line:col about the fields it ignores; namespaces prefix names', async () => {
      const r = await applyFile('pod.yaml', `apiVersion: v1
kind: Pod
metadata: {name: hello, namespace: team}
spec:
  terminationGracePeriodSeconds: 1
  nodeSelector: {disk: ssd}
  containers:
  - {name: app, image: ${s.w.image}, command: [sleep, '600']}
`);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'pod/team-hello created\n');
      assert.equal(r.stderr, `Warning: ${join(s.w.dir, 'pod.yaml')}:6:3: Pod "hello": spec.nodeSelector: ignored by berth: one host: every Pod runs on it\n`);
      await until('the Pod runs', async () => (await obj('Pod', 'team-hello')).status?.reason === 'Running', 120_000);
      assert.match(await ok(['get', 'pods', '-n', 'team']), /^team-hello\s+1\/1\s+Running/m);
      assert.doesNotMatch(await ok(['get', 'pods']), /team-hello/);
      assert.match(await ok(['get', 'pods', '-A']), /team-hello/);
      assert.match(await ok(['get', 'pod', 'hello', '-n', 'team', '-o', 'name']), /^pod\/team-hello\n$/);
      const refused = await applyFile('bad.yaml', `apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  hostPID: true
  containers: [{name: app, image: ${s.w.image}}]
`);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /bad\.yaml:5:12: Pod "bad": spec\.hostPID: berth does not support hostPID: true/);
      await ok(['delete', 'pod', 'team-hello']);
    });

    it('runs a Deployment of 3 replicas that survives a killed process and rolls a new template within its bounds', async () => {
      const deployment = (version: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: ${s.w.image}
        command: [sh, -c, 'echo ${version} > /tmp/version; exec sleep 600']
        readinessProbe: {exec: {command: [cat, /tmp/version]}, periodSeconds: 1}
`;
      const r = await applyFile('deploy.yaml', deployment('v1'));
      assert.equal(r.code, 0, r.stderr);
      const pods = await until('3 Ready Pods', async () => {
        const ps = await list('Pod', 'app=web');
        return ps.length === 3 && ps.every(ready) && ps;
      }, 180_000);
      for (const p of pods) assert.match(p.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      const hash = pods[0]!.metadata.labels!['pod-template-hash'];
      assert.ok(pods.every((p) => p.metadata.labels!['pod-template-hash'] === hash));
      // Kill one Pod's process from outside: its container is restarted; 3 Ready again.
      const victim = `${pods[0]!.metadata.name}-app`;
      const pid = Number((await ok(['inspect', '-f', '{{.State.Pid}}', victim])).trim());
      process.kill(pid, 'SIGKILL');
      await until('the killed container restarted', async () => ((await obj('Container', victim)).status?.restartCount as number) >= 1, 60_000);
      await until('3 Ready Pods again', async () => (await list('Pod', 'app=web')).filter(ready).length === 3, 60_000);
      // A new template rolls: never fewer than replicas - maxUnavailable = 2 Ready, never more than 4 Pods.
      let minReady = 3;
      let maxPods = 3;
      let done = false;
      const watch = (async () => {
        while (!done) {
          const ps = await list('Pod', 'app=web');
          minReady = Math.min(minReady, ps.filter(ready).length);
          maxPods = Math.max(maxPods, ps.length);
          await new Promise((res) => setTimeout(res, 50));
        }
      })();
      assert.equal((await applyFile('deploy.yaml', deployment('v2'))).code, 0);
      const rolled = await until('3 new Ready Pods', async () => {
        const ps = await list('Pod', 'app=web');
        return ps.length === 3 && ps.every(ready) && ps.every((p) => p.metadata.labels!['pod-template-hash'] !== hash) && ps;
      }, 300_000);
      done = true;
      await watch;
      assert.ok(minReady >= 2, `${minReady} Ready Pods at the lowest`);
      assert.ok(maxPods <= 4, `${maxPods} Pods at the most`);
      assert.equal(await ok(['exec', `${rolled[0]!.metadata.name}-app`, 'cat', '/tmp/version']), 'v2\n');
      const d = await obj('Deployment', 'web');
      assert.equal(d.status?.readyReplicas, 3);
      assert.equal(d.status?.updatedReplicas, 3);
      await ok(['delete', 'deployment', 'web']);
      await until('its Pods are gone', async () => (await list('Pod', 'app=web')).length === 0 && !(await ok(['ps', '-a', '--format', '{{.Names}}'])).includes('web-'), 120_000);
    });

    it('reports a missing ConfigMap as CreateContainerConfigError; an edit recreates the consumer once', async () => {
      const pod = `apiVersion: v1
kind: Pod
metadata: {name: reader}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${s.w.image}
    command: [sh, -c, 'echo "$GREETING"; exec sleep 600']
    env: [{name: GREETING, valueFrom: {configMapKeyRef: {name: settings, key: greeting}}}]
`;
      assert.equal((await applyFile('reader.yaml', pod)).code, 0);
      const waiting = await until('the Pod says why it waits', async () => {
        const p = await obj('Pod', 'reader');
        return p.status?.reason === 'CreateContainerConfigError' && p;
      }, 60_000);
      assert.equal(waiting.status?.message, 'configmap "settings" not found');
      const config = (greeting: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {greeting: ${greeting}}\n`;
      assert.equal((await applyFile('settings.yaml', config('hello'))).code, 0);
      await until('the Pod runs with the value', async () => (await obj('Pod', 'reader')).status?.reason === 'Running' && (await ok(['logs', 'reader-app'])) === 'hello\n', 120_000);
      const before = await obj('Container', 'reader-app');
      assert.equal((await applyFile('settings.yaml', config('bonjour'))).code, 0);
      await until('the consumer was recreated with the new value', async () => (await ok(['logs', 'reader-app'])) === 'bonjour\n', 120_000);
      const after = await obj('Container', 'reader-app');
      assert.equal(after.metadata.generation, before.metadata.generation + 1, 'one recreate');
      assert.notEqual(after.status?.containerID, before.status?.containerID);
      await ok(['delete', 'pod', 'reader']);
    });

    it('gives a Service\'s name to the Pods it selects and forwards its node port to the Ready ones', async () => {
      const r = await applyFile('svc.yaml', `apiVersion: apps/v1
kind: Deployment
metadata: {name: site}
spec:
  replicas: 2
  selector: {matchLabels: {app: site}}
  template:
    metadata: {labels: {app: site}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: ${s.w.image}
        command: [sh, -c, 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www']
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: site-svc}
spec:
  type: NodePort
  selector: {app: site}
  ports: [{port: 80, targetPort: http, nodePort: 30080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: sh, image: ${s.w.image}, command: [sleep, '600']}]
`, ['--wait', '--timeout', '3m']);
      assert.equal(r.code, 0, r.stderr);
      // --wait: a Deployment is ready with all its replicas ready and up to date, a Service once active, a Pod when Ready.
      for (const line of ['deployment/site ready', 'service/site-svc ready', 'pod/client ready']) assert.ok(r.stdout.includes(line), r.stdout);
      await until('2 endpoints', async () => ((await obj('Service', 'site-svc')).status?.endpoints as string[] | undefined)?.length === 2, 180_000);
      // The node port reaches both Pods, round-robin.
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) seen.add(await fetch('http://127.0.0.1:30080/').then((res) => res.text()));
      assert.equal(seen.size, 2, [...seen].join(','));
      // Its name on the network: another Pod reaches a selected Pod by it.
      await until('the client Pod runs', async () => (await obj('Pod', 'client')).status?.reason === 'Running', 120_000);
      const page = await ok(['exec', 'client-sh', 'wget', '-q', '-O', '-', 'http://site-svc:8080/']);
      assert.ok(seen.has(page), page);
      assert.match(await ok(['get', 'services']), /^site-svc\s+NodePort\s+80:30080\/TCP\s+\d+\.\d+\.\d+\.\d+:8080,\d+\.\d+\.\d+\.\d+:8080\s/m);
      await ok(['delete', '-f', join(s.w.dir, 'svc.yaml')]);
      await until('the node port is closed', async () => fetch('http://127.0.0.1:30080/').then(() => false, () => true), 60_000);
    });

    it('exports what it runs as Kubernetes manifests, valid, and applying them back runs the same containers', async () => {
      const file = join(s.w.dir, 'app.yaml');
      await writeFile(file, `apiVersion: berth.dev/v1
kind: Container
metadata: {name: app, labels: {tier: web}}
spec:
  image: ${s.w.image}
  command: [sh, -c, 'mkdir -p /www && echo round-trip > /www/index.html && exec httpd -f -p 8080 -h /www']
  env: [{name: MODE, value: prod}]
  ports: [{containerPort: 8080, hostPort: 18081, hostIP: 127.0.0.1}]
  resources: {limits: {memory: 32Mi}}
  terminationGracePeriodSeconds: 1
`);
      await ok(['apply', '-f', file]);
      await until('it answers', async () => fetch('http://127.0.0.1:18081/').then((res) => res.text(), () => '') .then((t) => t === 'round-trip\n'), 120_000);
      const exported = await berth(['export', 'container/app', '--to', 'kubernetes'], { socket: s.w.socket });
      assert.equal(exported.code, 0, exported.stderr);
      const { parseAllDocuments } = await import('yaml');
      const docs = parseAllDocuments(exported.stdout).map((d) => d.toJS() as Record<string, unknown>);
      assert.deepEqual(docs.map((d) => d.kind), ['Pod', 'Service']);
      const { Pod } = await import('kubernetes-models/v1/Pod');
      const { Service } = await import('kubernetes-models/v1/Service');
      new Pod(docs[0] as never).validate();
      new Service(docs[1] as never).validate();
      await ok(['delete', '-f', file]);
      await until('the original is gone', async () => fetch('http://127.0.0.1:18081/').then(() => false, () => true), 60_000);
      const back = join(s.w.dir, 'exported.yaml');
      await writeFile(back, exported.stdout);
      const applied = await berth(['apply', '-f', back], { socket: s.w.socket });
      assert.equal(applied.code, 0, applied.stderr);
      assert.equal(applied.stderr, '');
      await until('the same container answers again', async () => fetch('http://127.0.0.1:18081/').then((res) => res.text(), () => '').then((t) => t === 'round-trip\n'), 120_000);
      await until('the Pod says Running', async () => (await obj('Pod', 'app')).status?.reason === 'Running', 60_000);
      assert.equal(await ok(['exec', 'app-app', 'sh', '-c', 'echo $MODE']), 'prod\n');
      assert.equal(await ok(['inspect', '-f', '{{.Config.Image}}', 'app-app']), `${s.w.image}\n`);
      await ok(['delete', '-f', back]);
    });

    it('takes Kubernetes manifests from a watched directory too, and prunes them with their file', async () => {
      const dir = join(s.w.dir, 'watched');
      await mkdir(dir);
      await writeFile(join(dir, 'k.yaml'), `apiVersion: v1
kind: ConfigMap
metadata: {name: watched-conf}
data: {X: from-configmap}
---
apiVersion: v1
kind: Pod
metadata: {name: watched}
spec:
  terminationGracePeriodSeconds: 1
  nodeSelector: {disk: ssd}
  containers:
  - {name: app, image: ${s.w.image}, command: [sh, -c, 'echo $X; exec sleep 600'], envFrom: [{configMapRef: {name: watched-conf}}]}
`);
      await s.w.daemon!.stop();
      await s.w.start({ watch: [dir] });
      await until('the watched Pod runs', async () => (await obj('Pod', 'watched').catch(() => undefined))?.status?.reason === 'Running', 120_000);
      assert.equal(await ok(['logs', 'watched-app']), 'from-configmap\n');
      assert.match((await obj('Pod', 'watched')).metadata.source ?? '', /^watch:/);
      await rm(join(dir, 'k.yaml'));
      await until('the Pod and its container are gone', async () => !(await obj('Pod', 'watched').catch(() => undefined)) && !(await ok(['ps', '-a', '--format', '{{.Names}}'])).includes('watched-app'), 120_000);
    });
  });
}
