// The volume controller with the real store (SQLite in memory) and real local volumes on a
// temporary root (root: tmpfs volumes are mounted), on a simulated clock: status, events, the size
// kept for /metrics, options that differ, a device that is not there, and removal of a volume whose
// object was deleted.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SimulatedClock } from 'xstate';
import { BerthMetrics } from '../../controllers/metrics.ts';
import { VolumeController } from '../../controllers/volume-controller.ts';
import { SIZE_EVERY_MS } from '../../controllers/volume-reconcile.ts';
import { LocalVolumes } from '../../engine/volumes/local-volumes.ts';
import { MOUNTS_FILE } from '../../engine/volumes/usage.ts';
import { EventRecorder } from '../../server/events.ts';
import type { VolumeResource } from '../../specs/schema.ts';
import { VolumeObject } from '../../specs/volume.ts';
import { Store } from '../../store/store.ts';
import { tempDir } from '../fixtures/helpers.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('VolumeController with the store and local volumes', () => {
  let tmp: { path: string; remove(): Promise<void> };
  let root: string;
  let clock: SimulatedClock;
  let store: Store;
  let host: LocalVolumes;
  let metrics: BerthMetrics;
  let ctl: VolumeController;
  const put = (name: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>) =>
    store.put(VolumeObject.parse({ apiVersion: 'berth.dev/v1', kind: 'Volume', metadata: { name, ...(labels ? { labels } : {}) }, spec }), 'file:/v.yaml');
  const status = (name: string) => (store.get('Volume', name) as VolumeResource).status;
  const gauge = async (name: string) => (await metrics.registry.getSingleMetric('berth_volume_bytes')!.get()).values.find((v) => v.labels.volume === name)?.value;

  before(async () => {
    tmp = await tempDir('berth-volctl-');
    root = join(tmp.path, 'root');
    clock = new SimulatedClock();
    clock.set(T0);
    store = new Store(':memory:', { now: () => new Date(clock.now()) });
    host = new LocalVolumes({ root });
    metrics = new BerthMetrics();
    ctl = new VolumeController({ store, events: new EventRecorder(store, 'controller'), volumes: host, clock, metrics });
  });
  after(async () => {
    await ctl.stop();
    for (const v of await host.list()) await host.remove(v.name).catch(() => undefined);
    store.close();
    await tmp.remove();
  });

  it('makes the volume of a Volume object: Bound, its mountpoint, its size measured for /metrics', async () => {
    put('data', {}, { team: 'db' });
    assert.deepEqual(await ctl.reconcile('data'), { requeueAfter: 30_000 });
    const st = status('data');
    assert.equal(st.phase, 'Bound');
    assert.equal(st.mountpoint, join(root, 'volumes', 'data'));
    assert.deepEqual(st.usedBy, []);
    assert.equal(st.observedGeneration, 1);
    assert.deepEqual(st.conditions?.map((c) => `${c.type}=${c.status}`), ['Bound=True']);
    const v = await host.mustGet('data');
    assert.deepEqual([v.labels, v.object], [{ team: 'db' }, store.get('Volume', 'data')!.metadata.uid]);
    assert.deepEqual(store.listEvents({ name: 'data' }).map((e) => e.reason), ['Provisioned']);
    const first = st.sizeBytes!;
    assert.equal(await gauge('data'), first);

    // Sizes are measured at most once a minute: a scrape or a resync never walks the tree meanwhile.
    await writeFile(join(v.mountpoint, 'blob'), Buffer.alloc(100_000));
    await ctl.reconcile('data');
    assert.equal(await gauge('data'), first);
    clock.increment(SIZE_EVERY_MS);
    await ctl.reconcile('data');
    assert.ok((await gauge('data'))! >= first + 100_000);
    assert.equal(ctl.sizeOf('data'), await gauge('data'));
  });

  it('reports the containers using it', async () => {
    const id = 'c'.repeat(64);
    await mkdir(join(root, 'containers', id), { recursive: true });
    await writeFile(join(root, 'containers', id, MOUNTS_FILE), JSON.stringify({ id, owner: 'web', uid: 'u', createdAt: new Date(T0).toISOString(), mounts: [{ destination: '/d', readOnly: false, kind: 'volume', volume: 'data' }] }));
    await ctl.reconcile('data');
    assert.deepEqual(status('data').usedBy, ['web']);
  });

  it('options that differ from the volume\'s are reported, and the volume is left as it is', async () => {
    await host.create('mem', { spec: { driver: 'local', driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } } });
    put('mem');
    await ctl.reconcile('mem');
    const st = status('mem');
    assert.equal(st.phase, 'Failed');
    assert.equal(st.reason, 'OptionsDiffer');
    assert.match(st.message!, /exists with options type=tmpfs,device=tmpfs,o=size=1m, not none; .*berth volume rm mem/);
    assert.deepEqual((await host.mustGet('mem')).options, { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
  });

  it('a device that is not there: Pending with the reason, a Warning, and a retry', async () => {
    put('ghost', { driverOpts: { type: 'none', device: join(tmp.path, 'nope'), o: 'bind' } });
    await assert.rejects(ctl.reconcile('ghost'), /device .*nope does not exist/);
    const st = status('ghost');
    assert.deepEqual([st.phase, st.reason], ['Pending', 'ProvisioningFailed']);
    assert.deepEqual(store.listEvents({ name: 'ghost' }).map((e) => `${e.type} ${e.reason}`), ['Warning ProvisioningFailed']);
    assert.equal(await host.get('ghost'), undefined);
  });

  it('its object deleted: kept while a container uses it, removed when none does', async () => {
    store.delete('Volume', 'data');
    await ctl.reconcile('data');
    assert.ok(await host.get('data'));
    assert.deepEqual(store.listEvents({ name: 'data' }).map((e) => e.reason).slice(-1), ['VolumeInUse']);
    await writeFile(join(root, 'containers', 'c'.repeat(64), MOUNTS_FILE), JSON.stringify({ id: 'c'.repeat(64), owner: 'web', uid: 'u', createdAt: '', mounts: [] }));
    assert.deepEqual(await ctl.reconcile('data'), {});
    assert.equal(await host.get('data'), undefined);
    assert.equal(await gauge('data'), undefined);
    // A volume no object declared (made by a container's first use) is not the controller's to remove.
    await host.create('implicit');
    await ctl.reconcile('implicit');
    assert.ok(await host.get('implicit'));
  });
});
