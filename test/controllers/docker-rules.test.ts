// What Docker's words mean to the controllers: on-failure:N, `always` after a daemon restart,
// autoRemove (--rm -d), and imagePullPolicy (--pull).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimulatedClock } from 'xstate';
import { ImagePuller } from '../../controllers/image-puller.ts';
import { reconcileContainer, type ActorView } from '../../controllers/container-reconcile.ts';
import { settle, FakeEngine } from './fake-engine.ts';
import { desiredOf, harness, T0 } from './machine-harness.ts';

const exitedAdopt = {
  id: 'old', owner: { name: 'web', uid: 'uid-1', generation: 1, specHash: 'hash-1' }, status: 'stopped' as const, pid: 0,
  createdAt: new Date(T0 - 9000).toISOString(), exit: { exitCode: 143, oomKilled: false, finishedAt: new Date(T0 - 1000).toISOString() },
};

describe('Docker restart policies in the machine', () => {
  it('on-failure:2 restarts a failure twice, then leaves it exited', async () => {
    const h = harness({ restartPolicy: 'OnFailure', dockerRestartPolicy: { name: 'on-failure', maximumRetryCount: 2 } });
    await h.run();
    await h.exit(1);
    assert.equal(h.phase(), 'Running', 'first restart at once');
    await h.exit(1);
    await h.advance(10_000);
    assert.equal(h.phase(), 'Running');
    assert.equal(h.ctx().restartCount, 2);
    await h.exit(1);
    await h.advance(3_600_000);
    assert.equal(h.phase(), 'Exited');
    assert.equal(h.ctx().restartCount, 2);
  });

  it('always: a stop by the user is forgotten when the daemon starts again; unless-stopped keeps it', async () => {
    const stored = { userStopped: true, restartCount: 0 };
    const always = harness({ restartPolicy: 'Always', dockerRestartPolicy: { name: 'always' } }, { adopt: exitedAdopt, stored }, (e) => e.plant(exitedAdopt));
    await settle();
    assert.equal(always.phase(), 'Running');
    const unless = harness({ restartPolicy: 'Always', dockerRestartPolicy: { name: 'unless-stopped' } }, { adopt: exitedAdopt, stored }, (e) => e.plant(exitedAdopt));
    await settle();
    assert.equal(unless.phase(), 'Exited');
    assert.equal(unless.status().lifecycle.userStopped, true);
  });
});

describe('autoRemove', () => {
  const actor = (phase: ActorView['phase']): ActorView => ({ phase, specHash: 'x', generation: 1, deleteRequested: false, containerID: 'c1' });
  const want = (autoRemove: boolean) => ({ ...desiredOf({ restartPolicy: 'Never', autoRemove }), image: { state: 'ready' as const, image: { ref: 'r', digest: 'd' } } });

  it('the object is deleted once its container has exited, not before, and only when asked', () => {
    assert.deepEqual(reconcileContainer(want(true), { actor: actor('Exited'), containers: [] }, 0).actions, [{ type: 'deleteObject' }]);
    assert.ok(!reconcileContainer(want(true), { actor: actor('Running'), containers: [] }, 0).actions.some((a) => a.type === 'deleteObject'));
    assert.ok(!reconcileContainer(want(false), { actor: actor('Exited'), containers: [] }, 0).actions.some((a) => a.type === 'deleteObject'));
  });

  it('waits while a client attached before the start still reads the output (the log goes with the container)', () => {
    assert.deepEqual(reconcileContainer(want(true), { actor: actor('Exited'), containers: [], attached: true }, 0).actions, []);
  });
});

describe('imagePullPolicy of registry references', () => {
  const setup = () => {
    const clock = new SimulatedClock();
    clock.set(T0);
    const engine = new FakeEngine(clock);
    const settled: string[] = [];
    const puller = new ImagePuller({ engine, clock, onSettled: (r) => void settled.push(r) });
    return { clock, engine, puller, settled };
  };

  it('Never: present is ready, absent is ErrImageNeverPull (no pull)', async () => {
    const { engine, puller } = setup();
    const a = await puller.availability('reg.test/app:1', 'Never');
    assert.deepEqual([a.state, 'reason' in a && a.reason], ['failed', 'ErrImageNeverPull']);
    engine.images.set('reg.test/app:1', { ref: 'reg.test/app:1', digest: 'sha256:1' });
    assert.equal((await puller.availability('reg.test/app:1', 'Never')).state, 'ready');
  });

  it('Always: a present image is pulled once more for a Container created after the last pull', async () => {
    const { clock, engine, puller } = setup();
    engine.images.set('reg.test/app:1', { ref: 'reg.test/app:1', digest: 'sha256:1' });
    assert.equal((await puller.availability('reg.test/app:1', 'IfNotPresent', T0)).state, 'ready');
    assert.deepEqual(await puller.availability('reg.test/app:1', 'Always', T0), { state: 'missing', ref: 'reg.test/app:1', always: true });
    puller.pull('reg.test/app:1', 'Always');
    await settle();
    assert.deepEqual(engine.calls, ['ensureImage reg.test/app:1 Always']);
    assert.equal((await puller.availability('reg.test/app:1', 'Always', T0)).state, 'ready');
    clock.increment(1000);
    assert.equal((await puller.availability('reg.test/app:1', 'Always', T0 + 1000)).state, 'missing', 'a newer Container pulls again');
  });
});
