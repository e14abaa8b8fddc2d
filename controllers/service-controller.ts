// The executor for Services: a workqueue of Service names. reconcile() finds the Pods a Service
// selects, their Ready ones' addresses and target ports (serviceEndpoints(), pure), gives a
// NodePort Service's node ports their endpoints (the daemon's proxy, engine/service-proxy.ts), and
// writes the status: the node ports and endpoints. The names on the network are the Pod
// controller's (each selected Pod carries the Service's name). Any Pod's change enqueues every
// Service (wire.ts): their endpoints may have changed.
import type { NodePortRule, ServiceProxy } from '../engine/service-proxy.ts';
import type { PodResource } from '../specs/pod.ts';
import { selects, type ServiceSpec } from '../specs/service.ts';
import type { Status } from '../specs/schema.ts';
import type { Clock } from './clock.ts';
import type { BerthMetrics } from './metrics.ts';
import { silentLog, type ControllerLog, type EventSink, type ObjectStore } from './deps.ts';
import type { WorkQueue } from './workqueue.ts';
import { objectQueue } from './object-queue.ts';

/** The node ports of a NodePort Service and where each forwards: the Ready selected Pods. */
export function serviceEndpoints(spec: ServiceSpec, pods: PodResource[]): NodePortRule[] {
  const ready = pods.filter((p) => selects(spec, p.metadata.labels) && p.status.podIP && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
  return spec.ports.map((sp) => ({
    key: sp.name ?? String(sp.port),
    ...(sp.nodePort !== undefined ? { nodePort: sp.nodePort } : {}),
    endpoints: ready.flatMap((p) => {
      const target = sp.targetPort ?? sp.port;
      // A named targetPort is the port of that name in the Pod's containers.
      const port = typeof target === 'number' ? target : p.spec.containers.flatMap((c) => c.ports ?? []).find((cp) => cp.name === target)?.containerPort;
      return port ? [{ host: p.status.podIP!, port }] : [];
    }),
  }));
}

export class ServiceController {
  readonly queue: WorkQueue;
  readonly #o: { store: ObjectStore; events: EventSink; proxy: Pick<ServiceProxy, 'publish' | 'unpublish'>; log?: ControllerLog };
  readonly #log: ControllerLog;

  constructor(o: { store: ObjectStore; events: EventSink; proxy: Pick<ServiceProxy, 'publish' | 'unpublish'>; clock: Clock; metrics?: BerthMetrics; log?: ControllerLog }) {
    this.#o = o;
    this.#log = o.log ?? silentLog;
    this.queue = objectQueue('service', { clock: o.clock, metrics: o.metrics, log: this.#log, concurrency: 2 }, (name) => this.reconcile(name));
  }

  enqueueAll(): void {
    for (const r of this.#o.store.list('Service')) this.queue.add(r.metadata.name);
  }

  enqueue(name: string): void {
    this.queue.add(name);
  }

  async stop(): Promise<void> {
    await this.queue.shutdown();
  }

  async reconcile(name: string): Promise<{ requeueAfter?: number }> {
    const res = this.#o.store.get('Service', name);
    if (!res) {
      this.#o.proxy.unpublish(name);
      return {};
    }
    const spec = res.spec as ServiceSpec;
    const rules = serviceEndpoints(spec, this.#o.store.list('Pod') as PodResource[]);
    const nodePorts = spec.type === 'NodePort' ? await this.#o.proxy.publish(name, rules) : (this.#o.proxy.unpublish(name), new Map<string, number>());
    const status = {
      observedGeneration: res.metadata.generation,
      phase: 'Active',
      ports: spec.ports.map((p) => ({ port: p.port, ...(nodePorts.has(p.name ?? String(p.port)) ? { nodePort: nodePorts.get(p.name ?? String(p.port)) } : {}) })),
      endpoints: [...new Set(rules.flatMap((r) => r.endpoints.map((e) => `${e.host}:${e.port}`)))].sort(),
    };
    const { conditions: _c, ...before } = res.status as Record<string, unknown>;
    if (JSON.stringify(before) !== JSON.stringify(status)) this.#o.store.setStatus({ kind: 'Service', name }, status as Status);
    return {};
  }
}
