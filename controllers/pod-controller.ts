// The executor for Pod objects: a workqueue of Pod names. reconcile() reads the Pod, its sandboxes
// and its member Container objects, asks reconcilePod() (pod-reconcile.ts) what to do, does it,
// and writes the Pod's status (pod-status.ts) from its members' statuses. The members are ordinary
// Container objects (labelled berth.dev/pod, source `pod:<name>`), each driven by the Container
// controller; a change of a member's status enqueues its Pod (wire.ts).
import type { ContainerEngine, SandboxEngine } from '../engine/engine.ts';
import type { Sandbox, SandboxRequest } from '../engine/engine.ts';
import { canonicalJSON } from '../store/canonical.ts';
import { API_VERSION, ContainerSpec, type Status } from '../specs/schema.ts';
import type { ContainerResource } from '../specs/api/containers.ts';
import type { Manifest } from '../specs/objects.ts';
import { ContainerConfigError, memberName, memberSpec, podPorts, POD_LABEL, type PodDataSource, type PodResource } from '../specs/pod.ts';
import { selects, type ServiceSpec } from '../specs/service.ts';
import { configMapValues, secretValues, type ConfigMapManifest, type SecretManifest } from '../specs/config-data.ts';
import { isoTime, type Clock } from './clock.ts';
import { specHash } from './hash.ts';
import type { BerthMetrics } from './metrics.ts';
import { silentLog, type ControllerLog, type EventSink, type ObjectStore } from './deps.ts';
import { reconcilePod, type DesiredMember, type PodAction, type PodDesiredView } from './pod-reconcile.ts';
import { podStatus } from './pod-status.ts';
import type { WorkQueue } from './workqueue.ts';
import { objectQueue } from './object-queue.ts';

export interface PodStore extends ObjectStore {
  /** Creates or updates an object (a Pod's member Container). */
  put(m: Manifest, source: string): unknown;
}

export interface PodControllerOptions {
  store: PodStore;
  events: EventSink;
  engine: SandboxEngine & Pick<ContainerEngine, 'list'>;
  clock: Clock;
  metrics?: BerthMetrics;
  log?: ControllerLog;
}

/** The source of a Pod's member objects: never pruned by an apply of files. */
export const podSource = (pod: string) => `pod:${pod}`;

/** ConfigMaps and Secrets as the store has them. */
export function storeData(store: ObjectStore): PodDataSource {
  return {
    configMap: (n) => {
      const r = store.get('ConfigMap', n);
      return r ? configMapValues(r.spec as ConfigMapManifest['spec']) : undefined;
    },
    secret: (n) => {
      const r = store.get('Secret', n);
      return r ? secretValues(r.spec as SecretManifest['spec']) : undefined;
    },
  };
}

/** What a Pod wants, computed from its object: the sandbox request and every member's spec. */
export function podDesiredView(res: PodResource, data: PodDataSource, services: string[] = []): PodDesiredView {
  const { name, uid } = res.metadata;
  const members: DesiredMember[] = [];
  for (const [list, init] of [['initContainers', true], ['containers', false]] as const) {
    for (const ct of res.spec[list] ?? []) {
      const base = { object: memberName(name, ct.name), name: ct.name, init };
      try {
        const spec = ContainerSpec.parse(memberSpec(name, uid, res.spec, ct, init, data)) as ContainerResource['spec'];
        members.push({ ...base, spec, specKey: canonicalJSON(spec) });
      } catch (err) {
        if (!(err instanceof ContainerConfigError)) throw err;
        members.push({ ...base, specKey: '', configError: err.message });
      }
    }
  }
  const sandbox: SandboxRequest = {
    uid,
    name,
    hostname: res.spec.hostname ?? name,
    network: res.spec.network ?? 'bridge',
    ports: podPorts(res.spec).map((p) => ({ containerPort: p.containerPort, protocol: p.protocol, ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}), ...(p.hostIP ? { hostIP: p.hostIP } : {}) })),
    ...(res.spec.hostAliases?.length ? { extraHosts: res.spec.hostAliases.map((h) => ({ ip: h.ip, names: h.hostnames })) } : {}),
    members: members.map((m) => m.object),
    specHash: specHash(res.spec, undefined),
  };
  const aliases = [...(sandbox.hostname !== name ? [sandbox.hostname] : []), ...services.filter((s) => s !== name && s !== sandbox.hostname)];
  return { name, uid, sandbox, members, aliases };
}

export class PodController {
  readonly queue: WorkQueue;
  readonly #o: PodControllerOptions;
  readonly #log: ControllerLog;
  /** Status last written per Pod, to skip identical writes. */
  readonly #written = new Map<string, string>();

  constructor(o: PodControllerOptions) {
    this.#o = o;
    this.#log = o.log ?? silentLog;
    this.queue = objectQueue('pod', { clock: o.clock, metrics: o.metrics, log: this.#log, concurrency: 4 }, (name) => this.reconcile(name));
  }

  /** Every Pod (a ConfigMap or Secret changed: the Pods that use it get new member specs). */
  enqueueAll(): void {
    for (const r of this.#o.store.list('Pod')) this.queue.add(r.metadata.name);
  }

  /** Every Pod object, and every Pod name that still has a sandbox (deleted while the daemon was down). */
  async start(): Promise<void> {
    for (const r of this.#o.store.list('Pod')) this.queue.add(r.metadata.name);
    for (const s of await this.#o.engine.listSandboxes()) this.queue.add(s.request.name);
  }

  enqueue(name: string): void {
    this.queue.add(name);
  }

  async stop(): Promise<void> {
    await this.queue.shutdown();
  }

  async reconcile(name: string): Promise<{ requeueAfter?: number }> {
    const res = this.#o.store.get('Pod', name) as PodResource | undefined;
    // The Services that select it: their names are its names on the network too.
    const services = res ? this.#o.store.list('Service').filter((svc) => selects(svc.spec as ServiceSpec, res.metadata.labels)).map((svc) => svc.metadata.name).sort() : [];
    const desired = res && podDesiredView(res, storeData(this.#o.store), services);
    const sandboxes = (await this.#o.engine.listSandboxes()).filter((s) => s.request.name === name);
    const memberObjects = (this.#o.store.list('Container') as ContainerResource[]).filter((r) => r.metadata.labels?.[POD_LABEL] === name);
    // Containers of members whose objects are gone: still being removed by their controllers.
    const gone = new Set(sandboxes.flatMap((s) => s.request.members ?? []).filter((m) => !this.#o.store.get('Container', m)));
    let left = 0;
    for (const m of gone) left += (await this.#o.engine.list({ name: m })).length;
    const decision = reconcilePod(desired, {
      sandboxes: sandboxes.map((s) => ({ uid: s.request.uid, specHash: s.request.specHash, ...(s.aliases ? { aliases: s.aliases } : {}) })),
      members: memberObjects.map((r) => ({ object: r.metadata.name, podUid: r.spec.pod?.uid ?? '', specKey: canonicalJSON(r.spec), status: r.status })),
      engineContainersLeft: left,
    });
    let sandbox: Sandbox | undefined;
    for (const a of decision.actions) sandbox = (await this.#execute(name, a, res)) ?? sandbox;
    if (res && desired) this.#writeStatus(res, desired, sandbox, !decision.actions.some((a) => a.type === 'ensureSandbox'));
    if (!res) this.#written.delete(name);
    return decision.requeueAfter !== undefined ? { requeueAfter: decision.requeueAfter } : {};
  }

  async #execute(pod: string, a: PodAction, res: PodResource | undefined): Promise<Sandbox | undefined> {
    const target = { kind: 'Pod', name: pod, ...(res ? { uid: res.metadata.uid } : {}) };
    switch (a.type) {
      case 'ensureSandbox':
        return this.#o.engine.ensureSandbox(a.request);
      case 'putMember': {
        const m: Manifest = {
          apiVersion: API_VERSION,
          kind: 'Container',
          metadata: { name: a.member.object, labels: { ...(res?.metadata.labels ?? {}), [POD_LABEL]: pod } },
          spec: a.member.spec!,
        };
        this.#o.store.put(m, podSource(pod));
        this.#o.events.normal(target, a.member.init ? 'InitContainer' : 'Container', `container "${a.member.name}" is Container ${a.member.object}`);
        return undefined;
      }
      case 'deleteMember':
        if (this.#o.store.get('Container', a.object)) this.#o.store.delete('Container', a.object);
        this.#log.info('deleting a member of a Pod', { pod, container: a.object, reason: a.reason });
        return undefined;
      case 'setAliases':
        await this.#o.engine.setSandboxAliases(a.uid, a.aliases);
        return undefined;
      case 'removeSandbox':
        await this.#o.engine.removeSandbox(a.uid);
        this.#o.events.normal(target, 'SandboxRemoved', 'released the shared network, IPC and UTS namespaces');
        return undefined;
    }
  }

  #writeStatus(res: PodResource, desired: PodDesiredView, sandbox: Sandbox | undefined, recreating: boolean): void {
    const statuses = new Map(desired.members.map((m) => [m.object, (this.#o.store.get('Container', m.object) as ContainerResource | undefined)?.status]));
    const status = podStatus({
      generation: res.metadata.generation,
      restartPolicy: res.spec.restartPolicy,
      members: desired.members,
      statuses,
      ...(sandbox?.ipAddress ? { podIP: sandbox.ipAddress } : {}),
      ...(sandbox?.ports?.length ? { ports: sandbox.ports } : {}),
      recreating,
      ...(res.status.conditions ? { prevConditions: res.status.conditions } : {}),
      now: isoTime(this.#o.clock),
    });
    const key = JSON.stringify({ ...status, conditions: status.conditions.map((c) => ({ ...c, lastTransitionTime: '' })) });
    if (this.#written.get(res.metadata.name) === key) return;
    const before = res.status.reason;
    this.#written.set(res.metadata.name, key);
    this.#o.store.setStatus({ kind: 'Pod', name: res.metadata.name }, status as unknown as Status);
    if (before !== status.reason) {
      const target = { kind: 'Pod', name: res.metadata.name, uid: res.metadata.uid };
      if (/Error|BackOff/.test(status.reason)) this.#o.events.warning(target, status.reason, status.message ?? status.reason);
      else this.#o.events.normal(target, status.reason, status.message ?? `Pod is ${status.reason}`);
    }
  }
}
