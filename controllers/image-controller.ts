// The executor for Image objects: a workqueue of names; reconcile() reads the object, the local
// image and (for builds) the context digest, asks reconcileImage() what to do, does it, and
// records status (digest, Ready condition) and events (Pulling, Pulled, Built, Pushed, Failed).
// When an image's status changes, onReady tells the container controller to look again.
import type { ImageEngine, ImageHandle } from '../engine/engine.ts';
import type { ImageResource, Status } from '../specs/schema.ts';
import { isoTime, type Clock } from './clock.ts';
import { errorMessage, isTerminal } from './errors.ts';
import { reconcileImage, type ImageStatusView } from './image-reconcile.ts';
import type { BerthMetrics } from './metrics.ts';
import { silentLog, type ControllerLog, type EventSink, type ObjectStore } from './deps.ts';
import { mergeConditions } from './status.ts';
import { WorkQueue } from './workqueue.ts';

export interface ImageControllerOptions {
  store: ObjectStore;
  events: EventSink;
  engine: ImageEngine;
  clock: Clock;
  metrics?: BerthMetrics;
  log?: ControllerLog;
  /** Called when an Image's digest or readiness changed. */
  onChange?: (name: string) => void;
}

type ImageStatus = Status & ImageStatusView & { ref?: string; reason?: string; message?: string; size?: number };

export class ImageController {
  readonly queue: WorkQueue;
  readonly #o: ImageControllerOptions;
  readonly #log: ControllerLog;

  constructor(o: ImageControllerOptions) {
    this.#o = o;
    this.#log = o.log ?? silentLog;
    this.queue = new WorkQueue({
      clock: o.clock,
      handler: (name) => this.reconcile(name),
      concurrency: 2,
      ...(o.metrics ? { observer: o.metrics.queueObserver('image') } : {}),
      onError: (name, err, ms) => this.#log.warn('image reconcile failed; will retry', { image: name, error: errorMessage(err), retryInMs: ms }),
    });
  }

  start(): void {
    for (const r of this.#o.store.list('Image')) this.queue.add(r.metadata.name);
  }

  enqueue(name: string): void {
    this.queue.add(name);
  }

  async stop(): Promise<void> {
    await this.queue.shutdown();
  }

  async reconcile(name: string): Promise<{ requeueAfter?: number }> {
    const res = this.#o.store.get('Image', name) as ImageResource | undefined;
    if (!res) return {}; // content stays in the store; removing images is `berth rmi`'s job
    const { spec } = res;
    const status = res.status as ImageStatus;
    const local = await this.#o.engine.resolveImage(spec.ref);
    const contextDigest = spec.build && this.#o.engine.buildContextDigest ? await this.#o.engine.buildContextDigest(spec.build) : undefined;
    const now = this.#o.clock.now();
    const decision = reconcileImage(
      { name, generation: res.metadata.generation, spec },
      { ...(local ? { local } : {}), ...(contextDigest ? { contextDigest } : {}), status },
      now,
    );
    const target = { kind: 'Image', name, uid: res.metadata.uid };
    let current: ImageHandle | undefined = local;
    const next: ImageStatus = { ...status };
    try {
      for (const a of decision.actions) {
        switch (a.type) {
          case 'pull': {
            this.#write(name, { ...next, phase: 'Pulling' });
            this.#o.events.normal(target, 'Pulling', `Pulling image "${spec.ref}"`);
            const t0 = this.#o.clock.now();
            let bytes = 0;
            current = await this.#o.engine.ensureImage(spec.ref, 'Always', (p) => {
              this.#o.metrics?.imagePullBytes.inc({ image: spec.ref }, Math.max(0, p.bytes - bytes));
              bytes = p.bytes;
            });
            const secs = (this.#o.clock.now() - t0) / 1000;
            this.#o.metrics?.imagePullDuration.observe({ image: spec.ref }, secs);
            this.#o.events.normal(target, 'Pulled', `Successfully pulled image "${spec.ref}" in ${secs.toFixed(3)}s`);
            next.lastPullAt = now;
            break;
          }
          case 'build': {
            if (!this.#o.engine.buildImage) throw new Error('this daemon has no image builder');
            this.#write(name, { ...next, phase: 'Building' });
            this.#o.events.normal(target, 'Building', `Building image "${spec.ref}" from ${spec.build!.context}`);
            current = await this.#o.engine.buildImage(spec.ref, spec.build!);
            if (a.contextDigest) next.builtContext = a.contextDigest;
            this.#o.events.normal(target, 'Built', `Built image "${spec.ref}" (${current.digest})`);
            break;
          }
          case 'push': {
            if (!this.#o.engine.pushImage) throw new Error('this daemon cannot push images');
            this.#o.events.normal(target, 'Pushing', `Pushing image "${spec.ref}"`);
            await this.#o.engine.pushImage(spec.ref);
            next.pushedDigest = current?.digest;
            this.#o.events.normal(target, 'Pushed', `Pushed image "${spec.ref}"`);
            break;
          }
          case 'ready':
            current = a.image;
            break;
          case 'missing':
            this.#fail(name, res, next, a.reason, a.message, false);
            return decision.requeueAfter !== undefined ? { requeueAfter: decision.requeueAfter } : {};
        }
      }
    } catch (err) {
      const reason = decision.actions.some((a) => a.type === 'build') ? 'BuildFailed' : decision.actions.some((a) => a.type === 'push') && current ? 'PushFailed' : 'ErrImagePull';
      if (isTerminal(err)) this.#fail(name, res, next, reason, errorMessage(err), true);
      else this.#retrying(name, res, next, reason, errorMessage(err));
      throw err; // the queue retries (rate-limited) unless the error is terminal
    }
    if (!current) return {};
    const changed = status.digest !== current.digest || status.phase !== 'Ready' || status.observedGeneration !== res.metadata.generation;
    this.#write(name, {
      ...next,
      observedGeneration: res.metadata.generation,
      phase: 'Ready',
      ref: spec.ref,
      digest: current.digest,
      ...(current.size !== undefined ? { size: current.size } : {}),
      reason: undefined,
      message: undefined,
      conditions: mergeConditions(status.conditions, [{ type: 'Ready', status: 'True', reason: 'Present' }], isoTime(this.#o.clock)),
    });
    if (changed) this.#o.onChange?.(name);
    return decision.requeueAfter !== undefined ? { requeueAfter: decision.requeueAfter } : {};
  }

  #fail(name: string, res: ImageResource, next: ImageStatus, reason: string, message: string, warn: boolean): void {
    this.#write(name, {
      ...next,
      observedGeneration: res.metadata.generation,
      phase: 'Failed',
      reason,
      message,
      conditions: mergeConditions(next.conditions, [{ type: 'Ready', status: 'False', reason, message }], isoTime(this.#o.clock)),
    });
    const target = { kind: 'Image', name, uid: res.metadata.uid };
    if (warn) this.#o.events.warning(target, 'Failed', `Failed to get image "${res.spec.ref}": ${message}`);
    else this.#o.events.warning(target, reason, message);
    this.#o.onChange?.(name);
  }

  /** A failure that may pass (a registry down, a base image still building): not Failed, retried. */
  #retrying(name: string, res: ImageResource, next: ImageStatus, reason: string, message: string): void {
    this.#write(name, {
      ...next,
      observedGeneration: res.metadata.generation,
      phase: 'Pending',
      reason: `${reason}Retrying`,
      message,
      conditions: mergeConditions(next.conditions, [{ type: 'Ready', status: 'False', reason: `${reason}Retrying`, message }], isoTime(this.#o.clock)),
    });
    this.#o.events.warning({ kind: 'Image', name, uid: res.metadata.uid }, 'BackOff', `Will retry image "${res.spec.ref}": ${message}`);
  }

  #write(name: string, status: ImageStatus): void {
    const clean = Object.fromEntries(Object.entries(status).filter(([, v]) => v !== undefined)) as Status;
    this.#o.store.setStatus({ kind: 'Image', name }, clean);
  }
}
