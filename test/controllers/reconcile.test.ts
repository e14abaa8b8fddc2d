import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reconcileContainer, RESYNC_MS, STEADY_RESYNC_MS, type ActorView, type ContainerDesiredView } from '../../controllers/container-reconcile.ts';
import { specHash } from '../../controllers/hash.ts';
import { ALWAYS_REPULL_MS, reconcileImage } from '../../controllers/image-reconcile.ts';
import type { EngineContainer } from '../../engine/engine.ts';
import { ContainerSpec, ImageSpec } from '../../specs/schema.ts';

const IMG = { ref: 'r/busybox:latest', digest: 'sha256:1' };
const spec = ContainerSpec.parse({ image: 'r/busybox' });
const want: ContainerDesiredView = { name: 'web', uid: 'u', generation: 1, spec, image: { state: 'ready', image: IMG } };
const hash = specHash(spec, IMG.digest);
const owned = (id: string, over: Partial<EngineContainer> = {}): EngineContainer => ({
  id,
  owner: { name: 'web', uid: 'u', generation: 1, specHash: hash },
  status: 'running',
  pid: 10,
  createdAt: '2026-01-01T00:00:00Z',
  ...over,
});
const actor = (over: Partial<ActorView> = {}): ActorView => ({
  phase: 'Running',
  specHash: hash,
  generation: 1,
  deleteRequested: false,
  containerID: 'c1',
  imageDigest: IMG.digest,
  ...over,
});

describe('reconcileContainer', () => {
  it('a new object: spawn and hand it the image; resync for drift', () => {
    const d = reconcileContainer(want, { containers: [] }, 0);
    assert.deepEqual(d.actions.map((a) => a.type), ['spawn', 'send']);
    assert.deepEqual(d.actions[1], { type: 'send', event: { type: 'IMAGE_READY', image: IMG } });
    assert.equal(d.requeueAfter, RESYNC_MS);
  });

  it('agreement: nothing to do; a running container is looked at again at the steady resync, a pending one sooner', () => {
    const d = reconcileContainer(want, { actor: actor(), containers: [owned('c1')] }, 0);
    assert.deepEqual(d.actions, []);
    assert.equal(d.requeueAfter, STEADY_RESYNC_MS);
    assert.equal(reconcileContainer(want, { actor: actor({ phase: 'Pending', containerID: undefined }), containers: [] }, 0).requeueAfter, RESYNC_MS);
  });

  it('a spec hash is independent of key order', () => {
    assert.equal(specHash({ a: 1, b: { c: 2, d: 3 } }, 'x'), specHash({ b: { d: 3, c: 2 }, a: 1 }, 'x'));
    assert.notEqual(specHash({ a: 1 }, 'x'), specHash({ a: 1 }, 'y'));
  });

  it('daemon restart: adopts the matching container with the recorded lifecycle; removes duplicates and older specs', () => {
    const containers = [
      owned('dup', { createdAt: '2026-01-01T00:00:01Z', status: 'stopped' }),
      owned('keep'),
      owned('old', { owner: { name: 'web', uid: 'u', generation: 0, specHash: 'other' } }),
    ];
    const stored = { restartCount: 3 };
    const d = reconcileContainer(want, { containers, stored }, 0);
    const spawn = d.actions.find((a) => a.type === 'spawn');
    assert.equal(spawn?.type === 'spawn' && spawn.adopt?.id, 'keep');
    assert.deepEqual(spawn?.type === 'spawn' && spawn.stored, stored);
    assert.deepEqual(
      d.actions.filter((a) => a.type === 'removeStray').map((a) => a.type === 'removeStray' && a.container.id).sort(),
      ['dup', 'old'],
    );
    assert.ok(!d.actions.some((a) => a.type === 'send'), 'an adopted container needs no image news');
  });

  it('a changed spec is sent once (not again while the change is pending)', () => {
    const changed = { ...want, generation: 2, spec: { ...spec, args: ['x'] } };
    const d = reconcileContainer(changed, { actor: actor(), containers: [owned('c1')] }, 0);
    assert.equal(d.actions.length, 1);
    const a = d.actions[0]!;
    assert.ok(a.type === 'send' && a.event.type === 'DESIRED' && a.event.desired.generation === 2);
    const again = reconcileContainer(changed, { actor: actor({ phase: 'Stopping', pendingSpecHash: specHash(changed.spec, IMG.digest) }), containers: [owned('c1')] }, 0);
    assert.deepEqual(again.actions, []);
  });

  it('a new generation with the same spec only updates the generation', () => {
    const d = reconcileContainer({ ...want, generation: 7 }, { actor: actor(), containers: [owned('c1')] }, 0);
    assert.deepEqual(d.actions.map((a) => a.type === 'send' && a.event.type), ['DESIRED']);
  });

  it('a new image digest recreates (the hash covers it)', () => {
    const img2 = { ...IMG, digest: 'sha256:2' };
    const d = reconcileContainer({ ...want, image: { state: 'ready', image: img2 } }, { actor: actor(), containers: [owned('c1')] }, 0);
    assert.deepEqual(d.actions.map((a) => a.type === 'send' && a.event.type), ['DESIRED', 'IMAGE_READY']);
  });

  it('an image still pending keeps a running container as it is', () => {
    const d = reconcileContainer({ ...want, image: { state: 'pending', reason: 'ImagePulling' } }, { actor: actor(), containers: [owned('c1')] }, 0);
    assert.deepEqual(d.actions, []);
  });

  it('image news for a waiting actor is sent only when it changed', () => {
    const pending = { ...want, image: { state: 'failed' as const, reason: 'ImagePullBackOff', message: 'no route' } };
    const a = actor({ phase: 'WaitingForImage', containerID: undefined, imageDigest: undefined, specHash: specHash(spec, undefined) });
    assert.deepEqual(reconcileContainer(pending, { actor: a, containers: [] }, 0).actions, [
      { type: 'send', event: { type: 'IMAGE_FAILED', reason: 'ImagePullBackOff', message: 'no route' } },
    ]);
    assert.deepEqual(reconcileContainer(pending, { actor: { ...a, imageWaiting: { reason: 'ImagePullBackOff', message: 'no route' } }, containers: [] }, 0).actions, []);
  });

  it('a missing registry image: the decision pulls it and tells a new actor it is pulling', () => {
    const missing = { ...want, image: { state: 'missing' as const, ref: 'r/busybox:latest' } };
    const d = reconcileContainer(missing, { containers: [] }, 0);
    assert.deepEqual(d.actions.map((a) => a.type), ['pull', 'spawn', 'send']);
    assert.deepEqual(d.actions[0], { type: 'pull', ref: 'r/busybox:latest' });
    assert.deepEqual(d.actions[2], { type: 'send', event: { type: 'IMAGE_PENDING', reason: 'Pulling', message: 'Pulling image "r/busybox:latest"' } });
    const spawn = d.actions[1]!;
    assert.equal(spawn.type === 'spawn' && spawn.desired.specHash, specHash(spec, undefined), 'no digest yet');
  });

  it('a missing image is pulled again (e.g. removed locally) without disturbing a running actor; a waiting actor is told once', () => {
    const missing = { ...want, image: { state: 'missing' as const, ref: 'r/busybox:latest' } };
    assert.deepEqual(reconcileContainer(missing, { actor: actor(), containers: [owned('c1')] }, 0).actions, [{ type: 'pull', ref: 'r/busybox:latest' }]);
    const waiting = actor({ phase: 'WaitingForImage', containerID: undefined, imageDigest: undefined, specHash: specHash(spec, undefined) });
    const shown = { reason: 'Pulling', message: 'Pulling image "r/busybox:latest"' };
    assert.deepEqual(reconcileContainer(missing, { actor: { ...waiting, imageWaiting: shown }, containers: [] }, 0).actions, [{ type: 'pull', ref: 'r/busybox:latest' }]);
  });

  it('an image being pulled, or backing off, is not pulled again', () => {
    for (const image of [
      { state: 'pending' as const, reason: 'Pulling', message: 'Pulling image "r/busybox:latest"' },
      { state: 'failed' as const, reason: 'ImagePullBackOff', message: 'Back-off pulling image "r/busybox:latest": refused' },
    ]) {
      const d = reconcileContainer({ ...want, image }, { containers: [] }, 0);
      assert.ok(!d.actions.some((a) => a.type === 'pull'), image.reason);
    }
  });

  it('drift: a container removed behind berth\'s back, or stopped unnoticed', () => {
    assert.deepEqual(reconcileContainer(want, { actor: actor(), containers: [] }, 0).actions, [{ type: 'send', event: { type: 'CONTAINER_GONE', containerID: 'c1' } }]);
    const exit = { exitCode: 137, signal: 'SIGKILL', oomKilled: false, finishedAt: '2026-01-01T00:00:09Z' };
    assert.deepEqual(reconcileContainer(want, { actor: actor(), containers: [owned('c1', { status: 'stopped', exit })] }, 0).actions, [
      { type: 'send', event: { type: 'EXITED', exit, containerID: 'c1' } },
    ]);
  });

  it('a stray container of the object is removed, but not while the actor is busy creating', () => {
    const stray = owned('x');
    assert.deepEqual(
      reconcileContainer(want, { actor: actor(), containers: [owned('c1'), stray] }, 0).actions.map((a) => a.type),
      ['removeStray'],
    );
    assert.deepEqual(reconcileContainer(want, { actor: actor({ phase: 'Creating', containerID: undefined }), containers: [stray] }, 0).actions, []);
  });

  it('deleted: the actor is told once; once Removed it is dropped; with no actor the containers are removed', () => {
    assert.deepEqual(reconcileContainer(undefined, { actor: actor(), containers: [owned('c1')] }, 0).actions, [{ type: 'send', event: { type: 'DELETE' } }]);
    assert.deepEqual(reconcileContainer(undefined, { actor: actor({ deleteRequested: true, phase: 'Stopping' }), containers: [owned('c1')] }, 0).actions, []);
    assert.deepEqual(reconcileContainer(undefined, { actor: actor({ phase: 'Removed', containerID: undefined }), containers: [] }, 0).actions, [{ type: 'dropActor' }]);
    const d = reconcileContainer(undefined, { containers: [owned('c1')] }, 0);
    assert.deepEqual(d.actions.map((a) => a.type), ['removeStray']);
    assert.equal(d.requeueAfter, undefined);
  });
});

describe('reconcileImage', () => {
  const local = { ref: 'r/app:1', digest: 'sha256:9' };
  const pull = (policy: 'IfNotPresent' | 'Always' | 'Never', push = false) =>
    ({ name: 'app', generation: 1, spec: ImageSpec.parse({ ref: 'r/app:1', pull: { policy }, push }) });

  it('IfNotPresent pulls only when absent', () => {
    assert.deepEqual(reconcileImage(pull('IfNotPresent'), { status: {} }, 0).actions, [{ type: 'pull' }]);
    assert.deepEqual(reconcileImage(pull('IfNotPresent'), { local, status: { observedGeneration: 1 } }, 0).actions, [{ type: 'ready', image: local }]);
  });

  it('Always pulls on a spec change and every 5 minutes', () => {
    const st = { observedGeneration: 1, lastPullAt: 1000, digest: local.digest };
    const fresh = reconcileImage(pull('Always'), { local, status: st }, 1000 + 60_000);
    assert.deepEqual(fresh.actions, [{ type: 'ready', image: local }]);
    assert.equal(fresh.requeueAfter, ALWAYS_REPULL_MS - 60_000);
    assert.deepEqual(reconcileImage(pull('Always'), { local, status: st }, 1000 + ALWAYS_REPULL_MS).actions, [{ type: 'pull' }]);
    assert.deepEqual(reconcileImage(pull('Always'), { local, status: { ...st, observedGeneration: 0 } }, 2000).actions, [{ type: 'pull' }]);
  });

  it('Never: absent is reported (ErrImageNeverPull) and looked for again later', () => {
    const d = reconcileImage(pull('Never'), { status: {} }, 0);
    assert.equal(d.actions[0]?.type, 'missing');
    assert.ok(d.requeueAfter! > 0);
    assert.deepEqual(reconcileImage(pull('Never'), { local, status: {} }, 0).actions, [{ type: 'ready', image: local }]);
  });

  it('build: when absent, when the context changed, when the spec changed; not otherwise', () => {
    const b = { name: 'app', generation: 2, spec: ImageSpec.parse({ ref: 'r/app:1', build: { context: '/src' } }) };
    assert.deepEqual(reconcileImage(b, { contextDigest: 'c1', status: {} }, 0).actions, [{ type: 'build', contextDigest: 'c1' }]);
    assert.deepEqual(reconcileImage(b, { local, contextDigest: 'c2', status: { observedGeneration: 2, builtContext: 'c1' } }, 0).actions, [{ type: 'build', contextDigest: 'c2' }]);
    assert.deepEqual(reconcileImage(b, { local, contextDigest: 'c1', status: { observedGeneration: 1, builtContext: 'c1' } }, 0).actions, [{ type: 'build', contextDigest: 'c1' }]);
    assert.deepEqual(reconcileImage(b, { local, contextDigest: 'c1', status: { observedGeneration: 2, builtContext: 'c1' } }, 0).actions, [{ type: 'ready', image: local }]);
  });

  it('push: after a change, or when the pushed digest is not the local one', () => {
    assert.deepEqual(reconcileImage(pull('IfNotPresent', true), { status: {} }, 0).actions, [{ type: 'pull' }, { type: 'push' }]);
    assert.deepEqual(reconcileImage(pull('IfNotPresent', true), { local, status: { observedGeneration: 1, pushedDigest: 'sha256:old' } }, 0).actions, [
      { type: 'push' },
      { type: 'ready', image: local },
    ]);
    assert.deepEqual(reconcileImage(pull('IfNotPresent', true), { local, status: { observedGeneration: 1, pushedDigest: local.digest } }, 0).actions, [
      { type: 'ready', image: local },
    ]);
  });
});
