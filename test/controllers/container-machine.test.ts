import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../specs/errdefs.ts';
import { settle } from './fake-engine.ts';
import { desiredOf, harness, IMAGE, T0 } from './machine-harness.ts';

const fail = { exitCode: 1, stdout: Buffer.from(''), stderr: Buffer.from('not ok') };
const ok = { exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };

describe('Container machine: creation', () => {
  it('Pending → WaitingForImage → Creating → Running, ready without a readiness probe', async () => {
    const h = harness();
    assert.equal(h.phase(), 'Pending');
    h.actor.send({ type: 'IMAGE_PENDING', reason: 'Pulling', message: 'Pulling image "x"' });
    assert.equal(h.phase(), 'WaitingForImage');
    assert.deepEqual(h.status().state, { waiting: { reason: 'Pulling', message: 'Pulling image "x"' } });
    assert.equal(h.status().conditions.find((c) => c.type === 'ImageReady')?.status, 'False');
    await h.run();
    assert.deepEqual(h.phases, ['Pending', 'WaitingForImage', 'Creating', 'Running']);
    const st = h.status();
    assert.equal(st.containerID, 'c1');
    assert.equal(st.pid, 1001);
    assert.equal(st.startedAt, new Date(T0).toISOString());
    assert.equal(st.restartCount, 0);
    assert.equal(st.imageID, IMAGE.digest);
    assert.deepEqual(
      st.conditions.map((c) => [c.type, c.status, c.reason]),
      [
        ['ImageReady', 'True', 'Present'],
        ['Started', 'True', 'Started'],
        ['Ready', 'True', 'Ready'],
      ],
    );
    assert.deepEqual(h.engine.calls, ['create web', 'start web']);
    assert.deepEqual(h.events, ['Normal Pulling: Pulling image "x"', 'Normal Created: Created container web', 'Normal Started: Started container web']);
  });

  it('a start failure is a StartError exit (exit code 128), restarted by policy', async () => {
    const h = harness();
    h.engine.failNext.set('start', new Error('exec: "nope": executable file not found in $PATH'));
    await h.run();
    assert.equal(h.phase(), 'Running', 'first failure restarted at once');
    assert.equal(h.ctx().restartCount, 1);
    assert.equal(h.ctx().lastState?.reason, 'StartError');
    assert.equal(h.ctx().lastState?.exitCode, 128);
    assert.match(h.ctx().lastState?.message ?? '', /executable file not found/);
    assert.deepEqual(h.engine.calls, ['create web', 'start web', 'start web'], 'the created container is started again, not created twice');
  });

  it('an invalid spec fails for good (Failed), and a new spec recreates', async () => {
    const h = harness();
    h.engine.failNext.set('create', new InvalidArgumentError('user "nobody" not found in /etc/passwd of the image'));
    await h.run();
    assert.equal(h.phase(), 'Failed');
    assert.deepEqual(h.status().state, { waiting: { reason: 'CreateContainerConfigError', message: 'user "nobody" not found in /etc/passwd of the image' } });
    await h.advance(3_600_000);
    assert.equal(h.phase(), 'Failed', 'not retried');
    h.actor.send({ type: 'DESIRED', desired: desiredOf({}, { specHash: 'hash-2', generation: 2 }) });
    await settle();
    assert.equal(h.phase(), 'Pending');
    await h.run();
    assert.equal(h.phase(), 'Running');
  });
});

describe('Container machine: restarts', () => {
  it('CrashLoopBackOff: at once, then exactly 10 s, 20 s, 40 s, 80 s, 160 s, 300 s, 300 s', async () => {
    const h = harness();
    await h.run();
    await h.exit(1);
    assert.equal(h.phase(), 'Running');
    assert.equal(h.ctx().restartCount, 1);
    assert.deepEqual(h.phases, ['Pending', 'Creating', 'Running', 'Exited', 'BackOff', 'Restarting', 'Running']);
    for (const [i, wait] of [10, 20, 40, 80, 160, 300, 300].entries()) {
      await h.exit(1);
      assert.equal(h.phase(), 'BackOff');
      const st = h.status();
      assert.equal(st.reason, 'CrashLoopBackOff');
      assert.match(st.message ?? '', new RegExp(`back-off ${wait >= 60 ? `${Math.floor(wait / 60)}m${wait % 60}s` : `${wait}s`} restarting failed container=web`));
      assert.equal(st.lastState?.terminated.exitCode, 1);
      assert.equal(st.lastState?.terminated.reason, 'Error');
      await h.advance(wait * 1000 - 1);
      assert.equal(h.phase(), 'BackOff', `still waiting 1 ms before ${wait}s`);
      await h.advance(1);
      assert.equal(h.phase(), 'Running', `restarted after exactly ${wait}s`);
      assert.equal(h.ctx().restartCount, i + 2);
    }
    assert.ok(h.events.includes('Warning BackOff: back-off 10s restarting failed container=web'));
  });

  it('the backoff starts over after 10 minutes of running', async () => {
    const h = harness();
    await h.run();
    await h.exit(1); // at once
    await h.exit(1); // 10 s
    await h.advance(10_000);
    assert.equal(h.phase(), 'Running');
    await h.advance(600_001);
    await h.exit(1);
    assert.equal(h.phase(), 'Running', 'restarted at once');
    await h.exit(1);
    assert.equal(h.phase(), 'BackOff');
    assert.equal(h.ctx().backoffDelayMs, 10_000);
  });

  it('OnFailure restarts a failure but not a success; Never restarts nothing', async () => {
    const onf = harness({ restartPolicy: 'OnFailure' });
    await onf.run();
    await onf.exit(3);
    assert.equal(onf.phase(), 'Running');
    await onf.exit(0);
    assert.equal(onf.phase(), 'Exited');
    assert.equal(onf.status().lastState?.terminated.reason, 'Completed');
    assert.deepEqual(onf.status().state, { terminated: onf.ctx().lastState });
    const never = harness({ restartPolicy: 'Never' });
    await never.run();
    await never.exit(137, { signal: 'SIGKILL', oomKilled: true });
    assert.equal(never.phase(), 'Exited');
    await never.advance(3_600_000);
    assert.equal(never.phase(), 'Exited');
    assert.equal(never.status().lastState?.terminated.reason, 'OOMKilled');
    assert.equal(never.status().lastState?.terminated.signal, 'SIGKILL');
    assert.equal(never.ctx().restartCount, 0);
  });
});

describe('Container machine: probes', () => {
  const liveness = { livenessProbe: { exec: { command: ['/bin/check'] }, periodSeconds: 5, failureThreshold: 3, initialDelaySeconds: 2 } };

  it('liveness: failureThreshold failures in a row stop the container with its grace period, then restart', async () => {
    const h = harness({ ...liveness, terminationGracePeriodSeconds: 7 });
    h.engine.execResult = () => fail;
    await h.run();
    await h.advance(2000); // first check at initialDelaySeconds
    await h.advance(5000);
    assert.equal(h.phase(), 'Running', 'two failures are not enough');
    await h.advance(5000);
    assert.equal(h.phase(), 'Running', 'restarted');
    assert.equal(h.ctx().restartCount, 1);
    assert.deepEqual(h.phases.slice(2), ['Running', 'Stopping', 'Exited', 'BackOff', 'Restarting', 'Running']);
    assert.ok(h.engine.calls.includes('stop web SIGTERM 7'));
    assert.equal(h.ctx().lastState?.exitCode, 143);
    assert.equal(h.events.filter((e) => e.startsWith('Warning Unhealthy: Liveness probe failed: command ["/bin/check"] exited with 1: not ok')).length, 3);
    assert.ok(h.events.includes('Normal Killing: Container web failed liveness probe, will be restarted'));
  });

  it('liveness: a success in between resets the count', async () => {
    const h = harness(liveness);
    const results = [fail, fail, ok, fail, fail];
    h.engine.execResult = () => results.shift() ?? ok;
    await h.run();
    await h.advance(2000);
    for (let i = 0; i < 6; i++) await h.advance(5000);
    assert.equal(h.ctx().restartCount, 0);
    assert.equal(h.phase(), 'Running');
  });

  it('readiness: sets Ready after successThreshold successes, clears it after failureThreshold failures', async () => {
    const h = harness({ readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 1, successThreshold: 2, failureThreshold: 2 } });
    const results = [ok, ok, fail, fail];
    h.engine.execResult = () => results.shift() ?? fail;
    await h.run();
    await h.advance(0); // the first check, at initialDelaySeconds 0
    assert.equal(h.status().ready, false, 'one success is not enough');
    assert.equal(h.status().conditions.find((c) => c.type === 'Ready')?.reason, 'ReadinessProbeFailed');
    await h.advance(1000);
    assert.equal(h.status().ready, true);
    await h.advance(1000);
    assert.equal(h.status().ready, true, 'one failure is not enough');
    await h.advance(1000);
    assert.equal(h.status().ready, false);
    assert.equal(h.phase(), 'Running', 'readiness never restarts');
  });
});

describe('Container machine: changes, deletion, user verbs', () => {
  it('a spec change stops (grace), removes and recreates once; counts start over', async () => {
    const h = harness();
    await h.run();
    await h.exit(1);
    assert.equal(h.ctx().restartCount, 1);
    h.actor.send({ type: 'DESIRED', desired: desiredOf({ args: ['new'] }, { specHash: 'hash-2', generation: 2 }) });
    await settle();
    assert.equal(h.phase(), 'Pending');
    await h.run();
    assert.equal(h.phase(), 'Running');
    assert.deepEqual(h.engine.calls, ['create web', 'start web', 'start web', 'stop web SIGTERM 30', 'remove web', 'create web', 'start web']);
    assert.equal(h.ctx().containerID, 'c2');
    assert.equal(h.ctx().restartCount, 0);
    assert.deepEqual(h.ctx().desired.spec.args, ['new']);
    assert.equal(h.status().observedGeneration, 2);
  });

  it('the same spec under a new generation only updates observedGeneration', async () => {
    const h = harness();
    await h.run();
    h.actor.send({ type: 'DESIRED', desired: desiredOf({}, { generation: 5 }) });
    await settle();
    assert.equal(h.phase(), 'Running');
    assert.equal(h.status().observedGeneration, 5);
    assert.deepEqual(h.engine.calls, ['create web', 'start web']);
  });

  it('a spec change during creation is applied once the container runs', async () => {
    const h = harness();
    h.actor.send({ type: 'IMAGE_READY', image: IMAGE });
    h.actor.send({ type: 'DESIRED', desired: desiredOf({}, { specHash: 'hash-2', generation: 2 }) });
    await settle();
    assert.equal(h.phase(), 'Pending');
    assert.equal(h.ctx().desired.specHash, 'hash-2');
    assert.deepEqual(h.engine.calls, ['create web', 'start web', 'stop web SIGTERM 30', 'remove web']);
  });

  it('delete: stop with the stop signal, remove, final Removed', async () => {
    const h = harness({ stopSignal: 'SIGQUIT', terminationGracePeriodSeconds: 3 });
    await h.run();
    h.actor.send({ type: 'DELETE' });
    await settle();
    assert.equal(h.phase(), 'Removed');
    assert.equal(h.actor.getSnapshot().status, 'done');
    assert.deepEqual(h.engine.calls.slice(2), ['stop web SIGQUIT 3', 'remove web']);
    assert.equal(h.engine.containers.size, 0);
    assert.ok(h.events.includes('Normal Removed: Removed container web'));
  });

  it('delete while backing off cancels the restart', async () => {
    const h = harness();
    await h.run();
    await h.exit(1);
    await h.exit(1);
    assert.equal(h.phase(), 'BackOff');
    h.actor.send({ type: 'DELETE' });
    await settle();
    assert.equal(h.phase(), 'Removed');
    await h.advance(60_000);
    assert.equal(h.engine.containers.size, 0);
  });

  it('a failed removal is retried after a second', async () => {
    const h = harness();
    await h.run();
    h.engine.failNext.set('remove', new Error('device busy'));
    h.actor.send({ type: 'DELETE' });
    await settle();
    assert.equal(h.phase(), 'Removing');
    assert.ok(h.events.includes('Warning FailedRemove: Removing container web failed; retrying'));
    await h.advance(1000);
    assert.equal(h.phase(), 'Removed');
  });

  it('pause and unpause: Paused is visible and not Ready', async () => {
    const h = harness();
    await h.run();
    h.actor.send({ type: 'PAUSE' });
    await settle();
    assert.equal(h.phase(), 'Paused');
    assert.equal(h.status().ready, false);
    assert.equal(h.status().conditions.find((c) => c.type === 'Ready')?.reason, 'ContainerPaused');
    h.actor.send({ type: 'UNPAUSE' });
    await settle();
    assert.equal(h.phase(), 'Running');
    assert.equal(h.status().ready, true);
    assert.deepEqual(h.engine.calls.slice(2), ['pause web', 'resume web']);
  });

  it('a user stop is not restarted, even with Always; start runs it again', async () => {
    const h = harness();
    await h.run();
    h.actor.send({ type: 'USER_STOP' });
    await settle();
    assert.equal(h.phase(), 'Exited');
    assert.equal(h.status().lifecycle.userStopped, true);
    await h.advance(3_600_000);
    assert.equal(h.phase(), 'Exited');
    h.actor.send({ type: 'USER_START' });
    await settle();
    assert.equal(h.phase(), 'Running');
    assert.equal(h.status().lifecycle.userStopped, undefined);
    assert.equal(h.ctx().restartCount, 0, 'a start by the user is not a restart');
    assert.deepEqual(h.engine.calls.slice(-2), ['stop web SIGTERM 30', 'start web'], 'the same container, not a new one');
    assert.ok(!h.events.slice(2).some((e) => e.includes('Created')));
  });
});

describe('Container machine: adoption after a daemon restart', () => {
  it('adopts a running container without creating or starting anything, and keeps counting', async () => {
    const adopt = {
      id: 'old', owner: { name: 'web', uid: 'uid-1', generation: 1, specHash: 'hash-1' }, status: 'running' as const, pid: 42,
      createdAt: new Date(T0 - 60_000).toISOString(), startedAt: new Date(T0 - 50_000).toISOString(),
    };
    const h = harness({}, { adopt, stored: { restartCount: 4, backoff: { nextDelayMs: 80_000, lastExitAt: T0 - 55_000 } } }, (e) => e.plant(adopt));
    await settle();
    assert.equal(h.phase(), 'Running');
    assert.equal(h.ctx().pid, 42);
    assert.equal(h.ctx().restartCount, 4);
    assert.deepEqual(h.engine.calls, []);
    await h.exit(1);
    assert.equal(h.phase(), 'BackOff');
    assert.equal(h.ctx().backoffDelayMs, 80_000, 'the series continues');
  });

  it('adopts a container that exited while the daemon was down: restarted by policy, not recounted', async () => {
    const exit = { exitCode: 2, oomKilled: false, finishedAt: new Date(T0 - 1000).toISOString() };
    const adopt = { id: 'old', owner: { name: 'web', uid: 'uid-1', generation: 1, specHash: 'hash-1' }, status: 'stopped' as const, pid: 0, createdAt: new Date(T0 - 9000).toISOString(), exit };
    const h = harness({}, { adopt }, (e) => e.plant(adopt));
    await settle();
    assert.equal(h.phase(), 'Running');
    assert.equal(h.ctx().restartCount, 1);
    assert.equal(h.ctx().lastState?.exitCode, 2);
    assert.deepEqual(h.engine.calls, ['start web'], 'the same container is started again');
  });

  it('adopts a container made and never started: held (create) it waits for its start; not held, it is started, with no exit invented', async () => {
    const adopt = { id: 'old', owner: { name: 'web', uid: 'uid-1', generation: 1, specHash: 'hash-1' }, status: 'created' as const, pid: 0, createdAt: new Date(T0 - 9000).toISOString() };
    const held = harness({}, { adopt, desired: desiredOf({}, { holdStart: true }) }, (e) => e.plant(adopt));
    await settle();
    assert.equal(held.phase(), 'Created');
    assert.deepEqual(held.engine.calls, []);
    const started = harness({}, { adopt }, (e) => e.plant(adopt));
    await settle();
    assert.equal(started.phase(), 'Running');
    assert.equal(started.ctx().containerID, 'old');
    assert.equal(started.ctx().lastState, undefined, 'it never ran: no exit 137');
    assert.equal(started.ctx().restartCount, 0);
    assert.deepEqual(started.engine.calls, ['start web'], 'the same container is started');
  });

  it('news of another container than its own is stale and ignored (the reconcile looked before the actor moved on)', async () => {
    const h = harness();
    await h.run();
    h.actor.send({ type: 'CONTAINER_GONE', containerID: 'c0' });
    h.actor.send({ type: 'EXITED', exit: { exitCode: 137, oomKilled: false, finishedAt: new Date(T0).toISOString() }, containerID: 'c0' });
    await settle();
    assert.equal(h.phase(), 'Running');
    assert.equal(h.ctx().containerID, 'c1');
    h.actor.send({ type: 'CONTAINER_GONE', containerID: 'c1' });
    await settle();
    assert.equal(h.ctx().lastState?.containerID, 'c1', 'news of its own container is heard');
  });

  it('a container removed behind its back while running is created again', async () => {
    const h = harness();
    await h.run();
    h.engine.containers.delete('c1');
    h.actor.send({ type: 'CONTAINER_GONE' });
    await settle();
    assert.equal(h.phase(), 'Running');
    assert.equal(h.ctx().containerID, 'c2');
    assert.equal(h.ctx().restartCount, 1);
  });
});
