// The volume controller's decision on plain objects: made, adopted, labelled, options that differ
// reported (never remade), removed once its object is gone and no container uses it, measured
// at most once a minute.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reconcileVolume, SIZE_EVERY_MS, VOLUME_RESYNC_MS, type VolumeDesiredView } from '../../controllers/volume-reconcile.ts';

const want = (o: Partial<VolumeDesiredView> = {}): VolumeDesiredView => ({ name: 'data', uid: 'u1', spec: { driver: 'local' }, labels: {}, ...o });
const T = 1_000_000;

describe('reconcileVolume', () => {
  it('a Volume object without its volume: make it (and measure it)', () => {
    assert.deepEqual(reconcileVolume(want(), { users: [] }, T), { actions: [{ type: 'create' }, { type: 'measure' }], requeueAfter: VOLUME_RESYNC_MS });
  });

  it('a volume made by first use, then declared with the same options: adopted, labels set', () => {
    const d = reconcileVolume(want({ labels: { a: 'b' } }), { local: { options: {}, labels: {} }, users: [], measuredAt: T }, T + 1);
    assert.deepEqual(d.actions, [{ type: 'update', labels: { a: 'b' }, object: 'u1' }]);
  });

  it('in step: nothing but a measurement when one is due', () => {
    const local = { options: {}, labels: {}, object: 'u1' };
    assert.deepEqual(reconcileVolume(want(), { local, users: [], measuredAt: T }, T + SIZE_EVERY_MS - 1).actions, []);
    assert.deepEqual(reconcileVolume(want(), { local, users: [], measuredAt: T }, T + SIZE_EVERY_MS).actions, [{ type: 'measure' }]);
  });

  it('other options than the object\'s: reported, the volume left as it is', () => {
    const d = reconcileVolume(want({ spec: { driver: 'local', driverOpts: { type: 'tmpfs', device: 'tmpfs' } } }), { local: { options: {}, labels: {}, object: 'u1' }, users: [], measuredAt: T }, T);
    assert.deepEqual(d.actions, [{ type: 'optionsDiffer' }]);
  });

  it('its object deleted: removed when unused, kept while a container uses it', () => {
    const local = { options: {}, labels: {}, object: 'u1' };
    assert.deepEqual(reconcileVolume(undefined, { local, users: [] }, T), { actions: [{ type: 'remove' }] });
    assert.deepEqual(reconcileVolume(undefined, { local, users: [{ name: 'web', id: 'x'.repeat(64) }] }, T), {
      actions: [{ type: 'keepInUse', users: ['web'] }],
      requeueAfter: VOLUME_RESYNC_MS,
    });
  });

  it('a volume no object ever declared (first use, anonymous) is never removed here', () => {
    assert.deepEqual(reconcileVolume(undefined, { local: { options: {}, labels: {} }, users: [] }, T).actions, [{ type: 'measure' }]);
    assert.deepEqual(reconcileVolume(undefined, { users: [] }, T), { actions: [] });
  });
});
