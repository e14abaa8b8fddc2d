// The executor for Deployments: a workqueue of Deployment names. reconcile() reads the Deployment
// and the Pods it owns (label berth.dev/deployment), asks reconcileDeployment() what to do, makes
// or deletes Pods (source `deployment:<name>`, named `<name>-<pod-template-hash>-<5 chars>`), and
// writes the status. A deleted Deployment's Pods are deleted; a Pod's change (its Ready condition)
// enqueues its Deployment (wire.ts).
import { API_VERSION, type Status } from '../specs/schema.ts';
import type { Resource } from '../specs/objects.ts';
import type { DeploymentSpec } from '../specs/deployment.ts';
import type { PodResource } from '../specs/pod.ts';
import { isoTime, type Clock } from './clock.ts';
import type { BerthMetrics } from './metrics.ts';
import { silentLog, type ControllerLog, type EventSink } from './deps.ts';
import { deploymentStatus, podSuffix, podTemplateHash, reconcileDeployment, type OwnedPod } from './deployment-reconcile.ts';
import type { PodStore } from './pod-controller.ts';
import { mergeConditions } from './status.ts';
import type { WorkQueue } from './workqueue.ts';
import { objectQueue } from './object-queue.ts';

/** The label a Deployment's Pods carry: its name. */
export const DEPLOYMENT_LABEL = 'berth.dev/deployment';
export const TEMPLATE_HASH_LABEL = 'pod-template-hash';

export class DeploymentController {
  readonly queue: WorkQueue;
  readonly #o: { store: PodStore; events: EventSink; clock: Clock; log?: ControllerLog; random?: () => number };
  readonly #log: ControllerLog;

  constructor(o: { store: PodStore; events: EventSink; clock: Clock; metrics?: BerthMetrics; log?: ControllerLog; random?: () => number }) {
    this.#o = o;
    this.#log = o.log ?? silentLog;
    this.queue = objectQueue('deployment', { clock: o.clock, metrics: o.metrics, log: this.#log, concurrency: 2 }, (name) => this.reconcile(name));
  }

  start(): void {
    const names = new Set(this.#o.store.list('Deployment').map((r) => r.metadata.name));
    for (const p of this.#o.store.list('Pod')) if (p.metadata.labels?.[DEPLOYMENT_LABEL]) names.add(p.metadata.labels[DEPLOYMENT_LABEL]);
    for (const n of names) this.queue.add(n);
  }

  enqueue(name: string): void {
    this.queue.add(name);
  }

  async stop(): Promise<void> {
    await this.queue.shutdown();
  }

  async reconcile(name: string): Promise<{ requeueAfter?: number }> {
    const res = this.#o.store.get('Deployment', name) as (Resource & { spec: DeploymentSpec }) | undefined;
    const owned = (this.#o.store.list('Pod') as PodResource[]).filter((p) => p.metadata.labels?.[DEPLOYMENT_LABEL] === name);
    if (!res) {
      for (const p of owned) this.#o.store.delete('Pod', p.metadata.name);
      return {};
    }
    const hash = podTemplateHash(res.spec.template);
    const pods: OwnedPod[] = owned.map((p) => ({
      name: p.metadata.name,
      hash: p.metadata.labels?.[TEMPLATE_HASH_LABEL] ?? '',
      ready: p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
    }));
    const desired = { name, hash, spec: res.spec };
    const decision = reconcileDeployment(desired, pods);
    const target = { kind: 'Deployment', name, uid: res.metadata.uid };
    for (const a of decision.actions) {
      if (a.type === 'deletePod') {
        this.#o.store.delete('Pod', a.name);
        this.#o.events.normal(target, 'ScalingReplicaSet', `deleted Pod ${a.name}: ${a.reason}`);
        continue;
      }
      let podName = `${name}-${a.hash}-${podSuffix(this.#o.random)}`;
      while (this.#o.store.get('Pod', podName)) podName = `${name}-${a.hash}-${podSuffix(this.#o.random)}`;
      const { labels, annotations } = res.spec.template.metadata;
      this.#o.store.put(
        {
          apiVersion: API_VERSION,
          kind: 'Pod',
          metadata: { name: podName, labels: { ...(labels ?? {}), [TEMPLATE_HASH_LABEL]: a.hash, [DEPLOYMENT_LABEL]: name }, ...(annotations ? { annotations } : {}) },
          spec: res.spec.template.spec,
        },
        `deployment:${name}`,
      );
      this.#o.events.normal(target, 'ScalingReplicaSet', `created Pod ${podName}`);
    }
    this.#writeStatus(res, desired, this.#o.store.list('Pod').filter((p) => p.metadata.labels?.[DEPLOYMENT_LABEL] === name) as PodResource[]);
    return decision.requeueAfter !== undefined ? { requeueAfter: decision.requeueAfter } : {};
  }

  #writeStatus(res: Resource & { spec: DeploymentSpec }, desired: { name: string; hash: string; spec: DeploymentSpec }, owned: PodResource[]): void {
    const pods = owned.map((p) => ({ name: p.metadata.name, hash: p.metadata.labels?.[TEMPLATE_HASH_LABEL] ?? '', ready: p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' }));
    const { minAvailable, ...counts } = deploymentStatus(desired, pods);
    const available = counts.readyReplicas >= minAvailable;
    const complete = counts.updatedReplicas === res.spec.replicas && counts.replicas === res.spec.replicas && counts.readyReplicas === res.spec.replicas;
    const status = {
      observedGeneration: res.metadata.generation,
      phase: complete ? 'Available' : 'Progressing',
      ...counts,
      conditions: mergeConditions(
        res.status.conditions,
        [
          available ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' } : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
          complete ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `Pods with template ${desired.hash} are available.` } : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `Pods with template ${desired.hash} are progressing.` },
        ],
        isoTime(this.#o.clock),
      ),
    };
    const before = JSON.stringify({ ...res.status, conditions: res.status.conditions?.map((c) => ({ ...c, lastTransitionTime: '' })) });
    if (before !== JSON.stringify({ ...status, conditions: status.conditions.map((c) => ({ ...c, lastTransitionTime: '' })) })) {
      this.#o.store.setStatus({ kind: 'Deployment', name: res.metadata.name }, status as Status);
    }
  }
}
