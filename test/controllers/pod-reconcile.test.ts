// The Pod's pure decisions on plain objects: the sandbox first, init containers one at a time in
// order, the containers once they all completed, teardown of a deleted or replaced Pod (members,
// then — once their containers are gone — the sandbox); and the status kubelet would report.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reconcilePod, type DesiredMember, type ObservedMember, type PodDesiredView } from '../../controllers/pod-reconcile.ts';
import { podStatus } from '../../controllers/pod-status.ts';
import type { ContainerResource } from '../../specs/api/containers.ts';

type St = ContainerResource['status'];
const member = (name: string, init = false): DesiredMember => ({ object: `p-${name}`, name, init, spec: { image: 'r/b:1' } as ContainerResource['spec'], specKey: `k-${name}` });
const desired = (members: DesiredMember[], uid = 'u1', specHash = 'h1'): PodDesiredView => ({
  name: 'p',
  uid,
  sandbox: { uid, name: 'p', hostname: 'p', network: 'bridge', ports: [], members: members.map((m) => m.object), specHash },
  members,
  aliases: [],
});
const exited = (exitCode: number): St => ({ phase: 'Exited', restartCount: 0, ready: false, state: { terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', finishedAt: 't' } } }) as St;
const running = (ready = true): St => ({ phase: 'Running', restartCount: 0, ready, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }) as St;
const backoff = (restartCount: number): St =>
  ({ phase: 'BackOff', restartCount, ready: false, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } }, lastState: { terminated: { exitCode: 3, reason: 'Error', finishedAt: 't' } }, message: 'back-off 10s' }) as St;
const have = (m: DesiredMember, status: St, podUid = 'u1'): ObservedMember => ({ object: m.object, podUid, specKey: m.specKey, status });
const types = (actions: Array<{ type: string; member?: DesiredMember; object?: string; uid?: string }>) => actions.map((a) => `${a.type}${a.member ? ` ${a.member.name}` : a.object ? ` ${a.object}` : a.uid ? ` ${a.uid}` : ''}`);

describe('reconcilePod', () => {
  const i1 = member('i1', true);
  const i2 = member('i2', true);
  const app = member('app');
  const side = member('side');
  const all = [i1, i2, app, side];

  it('makes the sandbox and the first init container only', () => {
    const d = reconcilePod(desired(all), { sandboxes: [], members: [], engineContainersLeft: 0 });
    assert.deepEqual(types(d.actions), ['ensureSandbox', 'putMember i1']);
  });

  it('waits for a running or failing init container; the next one after it completed', () => {
    const obs = (s: St) => ({ sandboxes: [{ uid: 'u1', specHash: 'h1' }], members: [have(i1, s)], engineContainersLeft: 0 });
    assert.deepEqual(types(reconcilePod(desired(all), obs(running(false))).actions), ['ensureSandbox']);
    assert.deepEqual(types(reconcilePod(desired(all), obs(backoff(2))).actions), ['ensureSandbox']);
    assert.deepEqual(types(reconcilePod(desired(all), obs(exited(1))).actions), ['ensureSandbox']);
    assert.deepEqual(types(reconcilePod(desired(all), obs(exited(0))).actions), ['ensureSandbox', 'putMember i2']);
  });

  it('starts every container once all init containers completed, and leaves them be', () => {
    const done = [have(i1, exited(0)), have(i2, exited(0))];
    const sb = [{ uid: 'u1', specHash: 'h1' }];
    assert.deepEqual(types(reconcilePod(desired(all), { sandboxes: sb, members: done, engineContainersLeft: 0 }).actions), ['ensureSandbox', 'putMember app', 'putMember side']);
    const full = [...done, have(app, running()), have(side, running())];
    assert.deepEqual(types(reconcilePod(desired(all), { sandboxes: sb, members: full, engineContainersLeft: 0 }).actions), ['ensureSandbox']);
    // A member whose spec differs from what the Pod gives it is put again.
    assert.deepEqual(types(reconcilePod(desired(all), { sandboxes: sb, members: [...done, { ...have(app, running()), specKey: 'old' }, have(side, running())], engineContainersLeft: 0 }).actions), ['ensureSandbox', 'putMember app']);
  });

  it('tears a deleted Pod down: members first, the sandbox once their containers are gone', () => {
    const members = [have(app, running()), have(side, running())];
    const d1 = reconcilePod(undefined, { sandboxes: [{ uid: 'u1', specHash: 'h1' }], members, engineContainersLeft: 0 });
    assert.deepEqual(types(d1.actions), ['deleteMember p-app', 'deleteMember p-side']);
    assert.ok(d1.requeueAfter! > 0);
    const d2 = reconcilePod(undefined, { sandboxes: [{ uid: 'u1', specHash: 'h1' }], members: [], engineContainersLeft: 2 });
    assert.deepEqual(types(d2.actions), []);
    assert.ok(d2.requeueAfter! > 0);
    const d3 = reconcilePod(undefined, { sandboxes: [{ uid: 'u1', specHash: 'h1' }], members: [], engineContainersLeft: 0 });
    assert.deepEqual(types(d3.actions), ['removeSandbox u1']);
    assert.equal(d3.requeueAfter, undefined);
  });

  it('replaces a changed Pod whole: teardown, then a new sandbox and the init containers again', () => {
    const members = [have(app, running()), have(side, running())];
    const d1 = reconcilePod(desired([app, side], 'u1', 'h2'), { sandboxes: [{ uid: 'u1', specHash: 'h1' }], members, engineContainersLeft: 0 });
    assert.deepEqual(types(d1.actions), ['deleteMember p-app', 'deleteMember p-side']);
    const d2 = reconcilePod(desired([app, side], 'u1', 'h2'), { sandboxes: [{ uid: 'u1', specHash: 'h1' }], members: [], engineContainersLeft: 0 });
    assert.deepEqual(types(d2.actions), ['removeSandbox u1', 'ensureSandbox', 'putMember app', 'putMember side']);
    // A new Pod of the same name (another uid): the old one's members go.
    const d3 = reconcilePod(desired([app], 'u2'), { sandboxes: [], members: [have(app, running(), 'u1')], engineContainersLeft: 0 });
    assert.deepEqual(types(d3.actions), ['deleteMember p-app']);
  });
});

describe('podStatus', () => {
  const i1 = member('i1', true);
  const app = member('app');
  const side = member('side');
  const status = (members: DesiredMember[], sts: Record<string, St>, restartPolicy: 'Always' | 'OnFailure' | 'Never' = 'Always') =>
    podStatus({ generation: 1, restartPolicy, members, statuses: new Map(Object.entries(sts).map(([k, v]) => [`p-${k}`, v])), podIP: '10.0.0.2', now: '2026-01-01T00:00:00Z' });
  const cond = (s: ReturnType<typeof podStatus>, t: string) => s.conditions.find((c) => c.type === t)?.status;

  it('says Init:N/M while init containers run, Init:Error when one failed (also in backoff)', () => {
    const s1 = status([i1, app], {});
    assert.equal(s1.reason, 'Init:0/1');
    assert.equal(s1.phase, 'Pending');
    assert.equal(cond(s1, 'Initialized'), 'False');
    const s2 = status([i1, app], { i1: backoff(3) });
    assert.equal(s2.reason, 'Init:Error');
    assert.equal(s2.phase, 'Pending');
    assert.equal(s2.initContainerStatuses[0]!.restartCount, 3);
    // Under Never a failed init container fails the Pod.
    assert.equal(status([i1, app], { i1: exited(2) }, 'Never').phase, 'Failed');
  });

  it('is Running and Ready when every container runs and is ready', () => {
    const s = status([i1, app, side], { i1: exited(0), app: running(), side: running() });
    assert.equal(s.reason, 'Running');
    assert.equal(s.phase, 'Running');
    assert.equal(s.podIP, '10.0.0.2');
    assert.deepEqual(['Initialized', 'ContainersReady', 'Ready'].map((t) => cond(s, t)), ['True', 'True', 'True']);
    const notReady = status([app, side], { app: running(), side: running(false) });
    assert.equal(cond(notReady, 'Ready'), 'False');
    assert.match(notReady.conditions.find((c) => c.type === 'Ready')!.message!, /\[side\]/);
  });

  it('shows a member crash loop, and Completed / Error when all ended under OnFailure or Never', () => {
    assert.equal(status([app, side], { app: running(), side: backoff(1) }).reason, 'CrashLoopBackOff');
    assert.equal(status([app, side], { app: exited(0), side: exited(0) }, 'OnFailure').phase, 'Succeeded');
    assert.equal(status([app, side], { app: exited(0), side: exited(1) }, 'Never').reason, 'Error');
    assert.equal(status([app], {}).reason, 'ContainerCreating');
  });
});
