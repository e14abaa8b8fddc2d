// The executor for volumes: a workqueue of volume names — Volume objects, and every volume on the
// host (made by a container's first use, or for an image's VOLUME). reconcile() reads the object
// and the volume, asks reconcileVolume() what to do, does it, and records the object's status
// (phase Bound, mountpoint, the containers using it, its size) and events. Sizes are measured at
// most once a minute per volume and kept for /metrics (berth_volume_bytes), so a scrape never walks
// a tree.
import { Gauge } from 'prom-client';
import type { LocalVolumes } from '../engine/volumes/local-volumes.ts';
import type { VolumeStatus } from '../specs/api/volumes.ts';
import type { Status, VolumeResource } from '../specs/schema.ts';
import { optionsText } from '../specs/volume.ts';
import { isoTime, type Clock } from './clock.ts';
import { errorMessage } from './errors.ts';
import type { BerthMetrics } from './metrics.ts';
import { silentLog, type ControllerLog, type EventSink, type ObjectStore } from './deps.ts';
import { mergeConditions } from './status.ts';
import { reconcileVolume, type VolumeDesiredView } from './volume-reconcile.ts';
import { WorkQueue } from './workqueue.ts';

/** The volumes on the host as the controller uses them. */
export type VolumeHost = Pick<LocalVolumes, 'list' | 'get' | 'create' | 'update' | 'remove' | 'users' | 'size' | 'onUsageChange'>;

export interface VolumeControllerOptions {
  store: ObjectStore;
  events: EventSink;
  volumes: VolumeHost;
  clock: Clock;
  metrics?: BerthMetrics;
  log?: ControllerLog;
}

export class VolumeController {
  readonly queue: WorkQueue;
  readonly #o: VolumeControllerOptions;
  readonly #log: ControllerLog;
  readonly #sizes = new Map<string, { bytes: number; at: number }>();
  readonly #bytes: Gauge<'volume'> | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(o: VolumeControllerOptions) {
    this.#o = o;
    this.#log = o.log ?? silentLog;
    this.#bytes = o.metrics
      ? new Gauge({ name: 'berth_volume_bytes', help: 'Bytes of data in a volume, as last measured (at most once a minute)', labelNames: ['volume'], registers: [o.metrics.registry] })
      : undefined;
    this.queue = new WorkQueue({
      clock: o.clock,
      handler: (name) => this.reconcile(name),
      concurrency: 2,
      ...(o.metrics ? { observer: o.metrics.queueObserver('volume') } : {}),
      onError: (name, err, ms) => this.#log.warn('volume reconcile failed; will retry', { volume: name, error: errorMessage(err), retryInMs: ms }),
    });
  }

  async start(): Promise<void> {
    // A container made or removed changes who uses its volumes (and may have made them).
    this.#unsubscribe = this.#o.volumes.onUsageChange((names) => names.forEach((n) => this.queue.add(n)));
    await this.enqueueAll();
  }

  enqueue(name: string): void {
    this.queue.add(name);
  }

  /** Every Volume object and every volume on the host (containers came or went: users changed). */
  async enqueueAll(): Promise<void> {
    for (const r of this.#o.store.list('Volume')) this.queue.add(r.metadata.name);
    for (const v of await this.#o.volumes.list()) this.queue.add(v.name);
  }

  /** The last measured size of a volume, if any. */
  sizeOf(name: string): number | undefined {
    return this.#sizes.get(name)?.bytes;
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    await this.queue.shutdown();
  }

  async reconcile(name: string): Promise<{ requeueAfter?: number }> {
    const res = this.#o.store.get('Volume', name) as VolumeResource | undefined;
    let local = await this.#o.volumes.get(name);
    const users = local ? await this.#o.volumes.users(name) : [];
    const desired: VolumeDesiredView | undefined = res && { name, uid: res.metadata.uid, spec: res.spec, labels: res.metadata.labels ?? {} };
    const now = this.#o.clock.now();
    const measured = this.#sizes.get(name);
    const decision = reconcileVolume(desired, { ...(local ? { local } : {}), users, ...(measured ? { measuredAt: measured.at } : {}) }, now);
    const target = { kind: 'Volume', name, ...(res ? { uid: res.metadata.uid } : {}) };
    let problem: Pick<VolumeStatus, 'phase' | 'reason' | 'message'> | undefined;
    for (const a of decision.actions) {
      switch (a.type) {
        case 'create':
          try {
            local = (await this.#o.volumes.create(name, { spec: res!.spec, labels: desired!.labels, object: desired!.uid })).volume;
            this.#o.events.normal(target, 'Provisioned', `made volume at ${local.mountpoint}`);
          } catch (err) {
            // A device that is not there yet, too little space: the claim stays Pending and is tried again.
            this.#write(res!, { phase: 'Pending', reason: 'ProvisioningFailed', message: errorMessage(err) });
            this.#o.events.warning(target, 'ProvisioningFailed', errorMessage(err));
            throw err;
          }
          break;
        case 'update':
          local = await this.#o.volumes.update(name, { labels: a.labels, object: a.object });
          break;
        case 'optionsDiffer':
          problem = {
            phase: 'Failed',
            reason: 'OptionsDiffer',
            message: `volume "${name}" exists with options ${optionsText(local!.options)}, not ${optionsText(res!.spec.driverOpts ?? {})}; options of a volume cannot change: remove it (\`berth volume rm ${name}\`, its data goes) and apply again`,
          };
          break;
        case 'remove':
          await this.#o.volumes.remove(name);
          this.#forget(name);
          this.#o.events.normal(target, 'Deleted', 'its Volume object was deleted and no container uses it');
          return {};
        case 'keepInUse':
          this.#o.events.warning(target, 'VolumeInUse', `kept: its Volume object was deleted, but container${a.users.length > 1 ? 's' : ''} ${a.users.join(', ')} still use${a.users.length > 1 ? '' : 's'} it; it goes when they do`);
          break;
        case 'measure':
          if (local) await this.#measure(name, now);
          break;
      }
    }
    if (!local) this.#forget(name);
    if (res) {
      this.#write(
        res,
        problem ?? {
          phase: 'Bound',
          ...(local ? { mountpoint: local.mountpoint, createdAt: local.createdAt } : {}),
          usedBy: [...new Set(users.map((u) => u.name).filter(Boolean))].sort(),
          ...(this.#sizes.has(name) ? { sizeBytes: this.#sizes.get(name)!.bytes } : {}),
        },
      );
    }
    return decision.requeueAfter !== undefined && (local || res) ? { requeueAfter: decision.requeueAfter } : {};
  }

  async #measure(name: string, now: number): Promise<void> {
    try {
      const bytes = await this.#o.volumes.size(name);
      this.#sizes.set(name, { bytes, at: now });
      this.#bytes?.set({ volume: name }, bytes);
    } catch (err) {
      this.#log.warn('cannot measure a volume', { volume: name, error: errorMessage(err) });
    }
  }

  #forget(name: string): void {
    this.#sizes.delete(name);
    this.#bytes?.remove({ volume: name });
  }

  #write(res: VolumeResource, s: Partial<VolumeStatus>): void {
    const ok = s.phase === 'Bound';
    const status = {
      observedGeneration: res.metadata.generation,
      ...s,
      conditions: mergeConditions(
        res.status.conditions,
        [{ type: 'Bound', status: ok ? 'True' : 'False', ...(s.reason ? { reason: s.reason } : { reason: ok ? 'Provisioned' : 'Pending' }), ...(s.message ? { message: s.message } : {}) }],
        isoTime(this.#o.clock),
      ),
    };
    this.#o.store.setStatus({ kind: 'Volume', name: res.metadata.name }, status as Status);
  }
}
