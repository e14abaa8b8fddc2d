// The Deployment's pure decision on plain objects: scale to replicas, and a rollout that keeps
// within replicas + maxSurge Pods and never below replicas - maxUnavailable Ready ones — checked by
// playing a whole rollout step by step, new Pods becoming Ready one decision later.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podSuffix, podTemplateHash, reconcileDeployment, rollingBounds, type OwnedPod } from '../../controllers/deployment-reconcile.ts';
import { DeploymentSpec } from '../../specs/deployment.ts';

const spec = (replicas: number, rollingUpdate?: { maxSurge: number | string; maxUnavailable: number | string }, type: 'RollingUpdate' | 'Recreate' = 'RollingUpdate') =>
  DeploymentSpec.parse({ replicas, strategy: { type, ...(rollingUpdate ? { rollingUpdate } : {}) }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'r/a:1' }] } } });

/** Plays decisions until nothing is left to do; new Pods become Ready the step after they are made. */
function play(s: ReturnType<typeof spec>, hash: string, start: OwnedPod[]): { pods: OwnedPod[]; minReady: number; maxTotal: number; steps: number } {
  let pods = start;
  let minReady = pods.filter((p) => p.ready).length;
  let maxTotal = pods.length;
  let n = 0;
  for (let step = 0; step < 50; step++) {
    pods = pods.map((p) => ({ ...p, ready: true }));
    const d = reconcileDeployment({ name: 'web', hash, spec: s }, pods);
    if (!d.actions.length) return { pods, minReady, maxTotal, steps: step };
    for (const a of d.actions) {
      if (a.type === 'deletePod') pods = pods.filter((p) => p.name !== a.name);
      else pods = [...pods, { name: `web-${a.hash}-${n++}`, hash: a.hash, ready: false }];
      minReady = Math.min(minReady, pods.filter((p) => p.ready).length);
      maxTotal = Math.max(maxTotal, pods.length);
    }
  }
  throw new Error('the rollout did not settle');
}

describe('reconcileDeployment', () => {
  it('makes replicas Pods, and scales down the unready first', () => {
    assert.deepEqual(reconcileDeployment({ name: 'web', hash: 'h', spec: spec(3) }, []).actions, [{ type: 'createPod', hash: 'h' }, { type: 'createPod', hash: 'h' }, { type: 'createPod', hash: 'h' }]);
    const pods = [{ name: 'a', hash: 'h', ready: true }, { name: 'b', hash: 'h', ready: false }, { name: 'c', hash: 'h', ready: true }];
    assert.deepEqual(reconcileDeployment({ name: 'web', hash: 'h', spec: spec(2) }, pods).actions, [{ type: 'deletePod', name: 'b', reason: 'the Deployment has fewer replicas' }]);
  });

  it('rolls a changed template within maxSurge and maxUnavailable', () => {
    const old = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `web-old-${i}`, hash: 'old', ready: true }));
    for (const [ru, minReady, maxTotal] of [
      [{ maxSurge: 1, maxUnavailable: 0 }, 3, 4],
      [{ maxSurge: 0, maxUnavailable: 1 }, 2, 3],
      [{ maxSurge: 1, maxUnavailable: 1 }, 2, 4],
      [{ maxSurge: '25%', maxUnavailable: '25%' }, 3, 4],
    ] as const) {
      const r = play(spec(3, ru), 'new', old(3));
      assert.deepEqual(r.pods.map((p) => p.hash), ['new', 'new', 'new'], JSON.stringify(ru));
      assert.ok(r.minReady >= minReady, `${JSON.stringify(ru)}: ${r.minReady} Ready at the lowest`);
      assert.ok(r.maxTotal <= maxTotal, `${JSON.stringify(ru)}: ${r.maxTotal} Pods at the most`);
    }
    assert.deepEqual(rollingBounds(spec(3)), { maxSurge: 1, maxUnavailable: 0 });
  });

  it('Recreate deletes every old Pod before making new ones', () => {
    const pods = [{ name: 'a', hash: 'old', ready: true }, { name: 'b', hash: 'old', ready: true }];
    const d = reconcileDeployment({ name: 'web', hash: 'new', spec: spec(2, undefined, 'Recreate') }, pods);
    assert.deepEqual(d.actions.map((a) => a.type), ['deletePod', 'deletePod']);
  });

  it('names Pods as Kubernetes does: a 10-character template hash and 5 random characters, no vowels', () => {
    const h = podTemplateHash(spec(3).template);
    assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
    assert.equal(podTemplateHash(spec(5).template), h);
    assert.notEqual(podTemplateHash({ ...spec(3).template, metadata: { labels: { app: 'x' } } }), h);
    assert.match(podSuffix(), /^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });
});
