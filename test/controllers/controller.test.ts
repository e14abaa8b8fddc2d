// The executors with the real store (SQLite in memory) and the in-memory engine, on a simulated clock.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SimulatedClock } from 'xstate';
import { ContainerController } from '../../controllers/container-controller.ts';
import { STEADY_RESYNC_MS } from '../../controllers/container-reconcile.ts';
import { ImageController } from '../../controllers/image-controller.ts';
import { BerthMetrics } from '../../controllers/metrics.ts';
import { EventRecorder } from '../../server/events.ts';
import { ContainerObject, ImageObject } from '../../specs/schema.ts';
import type { ContainerResource } from '../../specs/api/containers.ts';
import { Store } from '../../store/store.ts';
import { withNetworks } from '../../specs/networks.ts';
import { FakeEngine, settle } from './fake-engine.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function setup(engine?: FakeEngine, store?: Store) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const s = store ?? new Store(':memory:', { now: () => new Date(clock.now()) });
  const e = engine ?? new FakeEngine(clock);
  const events = new EventRecorder(s, 'controller');
  const metrics = new BerthMetrics();
  let n = 0;
  const containers = new ContainerController({ store: s, events, engine: e, clock, metrics, newContainerID: () => `id${++n}`.padEnd(64, '0') });
  const images = new ImageController({ store: s, events, engine: e, clock, metrics, onChange: (name) => containers.enqueueUsingImage(name) });
  const unsubscribe = s.feed.onObject((ch) => {
    if (ch.kind === 'Container' && ch.type !== 'status') containers.enqueue(ch.name);
    if (ch.kind === 'Image' && ch.type !== 'status') images.enqueue(ch.name);
  });
  const converge = async () => {
    for (let i = 0; i < 10; i++) {
      await settle();
      await containers.queue.idle();
      await images.queue.idle();
    }
  };
  const container = (name: string, spec: Record<string, unknown>) =>
    s.put(ContainerObject.parse({ apiVersion: 'berth.dev/v1', kind: 'Container', metadata: { name }, spec }), 'file:/test.yaml');
  const status = (name: string) => (s.get('Container', name) as ContainerResource).status as Record<string, any>;
  return { clock, store: s, engine: e, containers, images, metrics, converge, container, status, unsubscribe };
}

describe('ContainerController with the store', () => {
  it('apply → pulled → Running, status and events recorded', async () => {
    const t = setup();
    await t.containers.start();
    t.container('web', { image: 'registry.test/busybox:1', command: ['sleep', '1000'] });
    await t.converge();
    const st = t.status('web');
    assert.equal(st.phase, 'Running');
    assert.equal(st.observedGeneration, 1);
    assert.equal(st.restartCount, 0);
    assert.match(st.containerID, /^id1/);
    assert.deepEqual(st.conditions.map((c: any) => `${c.type}=${c.status}`), ['ImageReady=True', 'Started=True', 'Ready=True']);
    assert.deepEqual(t.engine.calls, ['ensureImage registry.test/busybox:1 IfNotPresent', 'create web', 'start web']);
    assert.deepEqual(t.store.listEvents({ name: 'web' }).map((e) => e.reason), ['Pulling', 'Created', 'Started']);
    assert.deepEqual(t.containers.view('web'), st, 'the view is the status in the store');
  });

  it('waitFor resolves with the typed view once it holds, and rejects on abort', async () => {
    const t = setup();
    await t.containers.start();
    const running = t.containers.waitFor('web', (v) => v?.phase === 'Running');
    t.container('web', { image: 'registry.test/busybox:1' });
    await t.converge();
    const v = await running;
    assert.equal(v?.containerID, t.status('web').containerID);
    const ac = new AbortController();
    const never = t.containers.waitFor('web', (s) => s?.phase === 'Failed', ac.signal);
    ac.abort(new Error('gave up'));
    await assert.rejects(never, /gave up/);
  });

  it('a start racing a reconcile: a container listed as created before the actor started it is not taken for one that stopped', async () => {
    const t = setup();
    await t.containers.start();
    const held = { apiVersion: 'berth.dev/v1', kind: 'Container', metadata: { name: 'web', annotations: { 'berth.dev/start': 'manual' } }, spec: { image: 'registry.test/busybox:1' } };
    t.store.put(ContainerObject.parse(held), 'docker-api');
    await t.converge();
    assert.equal(t.status('web').phase, 'Created');
    // The reconcile the start's store write queues lists the engine while the container is still
    // `created`, and looks at the actor only after the actor has started it.
    const list = t.engine.list.bind(t.engine);
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    let listed = 0;
    t.engine.list = async (f) => {
      const r = await list(f);
      if (listed++ === 0) await released;
      return r;
    };
    t.store.put(ContainerObject.parse({ ...held, metadata: { name: 'web' } }), 'docker-api');
    await settle();
    t.containers.send('web', { type: 'USER_START' });
    await t.containers.waitFor('web', (v) => v?.phase === 'Running');
    release();
    await t.converge();
    t.engine.list = list;
    const st = t.status('web');
    assert.equal(st.phase, 'Running');
    assert.equal(st.restartCount, 0);
    assert.equal(st.lastState, undefined, 'no exit 137 invented');
    assert.deepEqual(t.engine.calls.filter((c) => c.startsWith('start')), ['start web']);
  });

  it('network connect and disconnect change the running container in place: no recreate, no restart', async () => {
    const t = setup();
    await t.containers.start();
    t.container('web', { image: 'registry.test/busybox:1', network: 'front' });
    await t.converge();
    const { containerID, pid } = t.status('web');
    const spec = (t.store.get('Container', 'web') as ContainerResource).spec;
    const connected = t.containers.connectNetwork('web', withNetworks(spec, [{ name: 'front' }, { name: 'back', aliases: ['api'] }]), { network: 'back', aliases: ['api'] });
    await t.converge();
    await connected;
    // Answered once the container has its lifecycle again: the next verb finds it.
    assert.equal(t.containers.view('web')?.containerID, containerID);
    const disconnected = t.containers.disconnectNetwork('web', withNetworks(spec, [{ name: 'front' }]), { network: 'back' });
    await t.converge();
    await disconnected;
    const st = t.status('web');
    assert.deepEqual([st.phase, st.containerID, st.pid, st.restartCount], ['Running', containerID, pid, 0]);
    assert.deepEqual((t.store.get('Container', 'web') as ContainerResource).spec.networks, [{ name: 'front' }]);
    assert.deepEqual(t.engine.calls.filter((c) => !c.startsWith('ensureImage')), ['create web', 'start web', 'connectNetwork web back', 'disconnectNetwork web back']);
  });

  it('a killed process is restarted by policy with the right counts; delete removes it', async () => {
    const t = setup();
    await t.containers.start();
    t.container('web', { image: 'registry.test/busybox:1' });
    await t.converge();
    t.engine.exit(t.status('web').containerID, 137, { signal: 'SIGKILL' });
    await t.converge();
    assert.equal(t.status('web').phase, 'Running');
    assert.equal(t.status('web').restartCount, 1);
    assert.equal(t.status('web').lastState.terminated.signal, 'SIGKILL');
    t.store.delete('Container', 'web');
    await t.converge();
    assert.equal(t.engine.containers.size, 0);
    assert.equal(t.containers.view('web'), undefined, 'the actor is gone');
  });

  it('autoRemove waits for the release of an attached reader, then removes the exited container', async () => {
    const t = setup();
    await t.containers.start();
    t.container('once', { image: 'registry.test/busybox:1', restartPolicy: 'Never', autoRemove: true });
    await t.converge();
    const release = t.containers.holdRemoval('once');
    t.engine.exit(t.status('once').containerID, 7);
    await t.converge();
    assert.equal(t.status('once').phase, 'Exited', 'held: still there, exited');
    assert.equal(t.engine.containers.size, 1);
    release();
    release();
    await t.converge();
    assert.equal(t.store.get('Container', 'once'), undefined, 'released: the object is gone');
    assert.equal(t.engine.containers.size, 0);
  });

  it('an edited spec recreates the container once', async () => {
    const t = setup();
    await t.containers.start();
    t.container('web', { image: 'registry.test/busybox:1', args: ['a'] });
    await t.converge();
    t.container('web', { image: 'registry.test/busybox:1', args: ['b'] });
    await t.converge();
    await t.clock.increment(30_000);
    await t.converge();
    assert.equal(t.engine.calls.filter((c) => c === 'create web').length, 2);
    assert.equal(t.engine.containers.size, 1);
    assert.equal(t.status('web').observedGeneration, 2);
    assert.equal(t.status('web').phase, 'Running');
  });

  it('a daemon restart re-adopts: nothing created, started or removed; unknown containers are left alone', async () => {
    const t = setup();
    await t.containers.start();
    for (const n of ['a', 'b', 'c']) t.container(n, { image: 'registry.test/busybox:1' });
    await t.converge();
    t.engine.exit(t.status('b').containerID, 1);
    await t.converge();
    await t.containers.stop();
    t.unsubscribe();
    t.engine.plant({ id: 'foreign', status: 'running', pid: 7, createdAt: new Date(T0).toISOString() });
    const calls = t.engine.calls.length;

    const t2 = setup(t.engine, t.store);
    await t2.containers.start();
    await t2.converge();
    assert.deepEqual(t.engine.calls.slice(calls), [], 'no engine verb at all');
    assert.deepEqual(t2.containers.unknown.map((c) => c.id), ['foreign']);
    assert.ok(t.engine.containers.has('foreign'));
    for (const n of ['a', 'b', 'c']) assert.equal(t2.status(n).phase, 'Running');
    assert.equal(t2.status('b').restartCount, 1, 'the count survives the restart');
    assert.equal(t.engine.running().length, 4);
  });

  it('drift: a container removed behind berth\'s back is created again at the next resync', async () => {
    const t = setup();
    await t.containers.start();
    t.container('web', { image: 'registry.test/busybox:1' });
    await t.converge();
    t.engine.containers.clear(); // gone without an exit (e.g. the monitor was killed and state wiped)
    t.clock.increment(STEADY_RESYNC_MS);
    await t.converge();
    assert.equal(t.status('web').phase, 'Running');
    assert.equal(t.engine.containers.size, 1);
  });

  it('an Image object is pulled, its digest recorded, and the containers using it start', async () => {
    const t = setup();
    await t.containers.start();
    t.images.start();
    t.container('app', { image: 'tools' });
    await t.converge();
    assert.equal(t.status('app').phase, 'WaitingForImage');
    assert.equal(t.status('app').reason, 'ImageNotFound');
    // It waits for the Image object and says so; its name is never tried as a registry reference.
    assert.match(t.store.listEvents({ name: 'app' }).map((e) => e.message).join('\n'), /^Waiting for image "tools": there is no Image object/m);
    assert.ok(!t.engine.calls.some((c) => c.startsWith('ensureImage tools')), t.engine.calls.join(', '));
    t.store.put(ImageObject.parse({ apiVersion: 'berth.dev/v1', kind: 'Image', metadata: { name: 'tools' }, spec: { ref: 'registry.test/tools:1', pull: { policy: 'IfNotPresent' } } }), 'file:/t.yaml');
    await t.converge();
    const img = t.store.get('Image', 'tools')!.status as Record<string, any>;
    assert.equal(img.phase, 'Ready');
    assert.match(img.digest, /^sha256:/);
    assert.equal(t.status('app').phase, 'Running');
    assert.deepEqual(t.store.listEvents({ kind: 'Image' }).map((e) => e.reason), ['Pulling', 'Pulled']);
    assert.deepEqual(t.engine.calls.filter((c) => c.startsWith('ensureImage')).map((c) => c.split(' ')[1]), ['registry.test/tools:1']);
  });

  it('an image pull failure shows ImagePullBackOff and is retried', async () => {
    const t = setup();
    await t.containers.start();
    t.engine.failNext.set('ensureImage', new Error('connection refused'));
    t.container('web', { image: 'registry.test/busybox:1' });
    await t.converge();
    assert.equal(t.status('web').reason, 'ImagePullBackOff');
    assert.match(t.status('web').message, /connection refused/);
    t.clock.increment(10_000);
    await t.converge();
    t.clock.increment(10_000);
    await t.converge();
    assert.equal(t.status('web').phase, 'Running');
  });
});

describe('metrics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-metrics-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exposes cAdvisor, state and controller-runtime series that promtool accepts', async () => {
    const t = setup();
    const fresh = Buffer.concat((await t.metrics.expose()).body).toString();
    assert.match(fresh, /controller_runtime_reconcile_total\{controller="container",result="error"\} 0/);
    assert.match(fresh, /workqueue_depth\{name="container"\} 0/);
    await t.containers.start();
    t.container('web', { image: 'registry.test/busybox:1' });
    await t.converge();
    const id = t.status('web').containerID;
    const body = Buffer.concat((await t.metrics.expose()).body).toString();
    const labels = `container="web",id="${id}",image="registry.test/busybox:1",name="web"`;
    assert.match(body, new RegExp(`container_cpu_usage_seconds_total\\{${labels.replace(',id=', ',cpu="total",id=')}\\} 0.5`));
    assert.match(body, new RegExp(`container_memory_working_set_bytes\\{${labels}\\} 2048`));
    assert.match(body, new RegExp(`container_start_time_seconds\\{${labels}\\} ${T0 / 1000}`));
    assert.match(body, /berth_container_state\{name="web",state="Running"\} 1/);
    assert.match(body, /berth_container_state\{name="web",state="BackOff"\} 0/);
    assert.match(body, /berth_container_restarts_total\{name="web"\} 0/);
    assert.match(body, /controller_runtime_reconcile_total\{controller="container",result="requeue_after"\} [1-9]/);
    const file = join(dir, 'metrics.txt');
    writeFileSync(file, body);
    const check = spawnSync('sh', ['-c', `promtool check metrics < ${file}`], { encoding: 'utf8' });
    assert.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`);
  });
});

describe('metrics endpoint', () => {
  it('serves /metrics over HTTP on the given address, 404 elsewhere; rejects a bad address', async () => {
    const { serveMetrics, parseAddr } = await import('../../server/metrics-server.ts');
    const metrics = new BerthMetrics();
    const srv = await serveMetrics(metrics, '127.0.0.1:0');
    try {
      const res = await fetch(srv.url);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /controller_runtime_reconcile_total/);
      assert.equal((await fetch(srv.url.replace('/metrics', '/'))).status, 404);
    } finally {
      await srv.close();
    }
    assert.deepEqual(parseAddr(':9323'), { host: '0.0.0.0', port: 9323 });
    assert.throws(() => parseAddr('localhost'), /not host:port/);
  });
});
