// The executor for Container objects: a workqueue of names, one XState actor per object, and the
// pure decision (container-reconcile.ts) in between. Every trigger — apply, delete, an Image that
// became ready, an actor's transition, the periodic resync — only enqueues the name; reconcile()
// re-reads the object, its image and the engine's containers, decides, and carries the actions out.
//
// The store's status is the truth about a container's lifecycle: it is written after every
// transition of the actor, and an actor is only ever built from it (restoreContext, status.ts).
// Outside controllers/, a container is seen through view(name) — that same typed status — never
// through an actor's snapshot.
import { randomBytes } from 'node:crypto';
import { createActor, type Actor } from 'xstate';
import type { ContainerEngine, EngineContainer, ImageEngine } from '../engine/engine.ts';
import { imageIsObjectName, type ContainerSpec, type ImageResource, type Status } from '../specs/schema.ts';
import { specHash } from './hash.ts';
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '../specs/errdefs.ts';
import { isoTime, type Clock } from './clock.ts';
import { createContainerMachine, type ContainerMachine, type ContainerSnapshot } from './container-machine.ts';
import {
  reconcileContainer,
  type ActorView,
  type ContainerAction,
  type ImageAvailability,
} from './container-reconcile.ts';
import type { UserEvent } from './container-types.ts';
import { errorMessage } from './errors.ts';
import type { BerthMetrics, ContainerSample } from './metrics.ts';
import { ImagePuller } from './image-puller.ts';
import { silentLog, type ControllerLog, type EventSink, type ObjectStore } from './deps.ts';
import { containerStatus, phaseOf } from './status.ts';
import { BUSY_PHASES } from './container-reconcile.ts';
import { WorkQueue } from './workqueue.ts';
import { WriteBatch } from './write-batch.ts';
import { Slots } from './slots.ts';
import { StatsHousekeeping } from './stats-housekeeping.ts';
import { HOLD_START, type ContainerResource, type ContainerStats, type ContainerStatus } from '../specs/api/containers.ts';
import { byCodeUnit } from '../specs/order.ts';

export interface ContainerControllerOptions {
  store: ObjectStore;
  events: EventSink;
  engine: ContainerEngine & ImageEngine;
  clock: Clock;
  metrics?: BerthMetrics;
  log?: ControllerLog;
  concurrency?: number;
  newContainerID?: () => string;
  removeRetryMs?: number;
  /** Between two background collections of the containers' stats for /metrics (stats-housekeeping.ts). */
  statsIntervalMs?: number;
  /** Creates and starts carried out at once (slots.ts; default START_SLOTS). */
  startSlots?: number;
}

/**
 * Creates and starts carried out at once, by default. Measured with `berth apply` of 200 and 500
 * `sleep` containers on the 2-core development host (a daemon started as bench/fleet.ts starts it,
 * load 4-10), apply time and daemon CPU: 500 took 29.8 s / 16.2 s unlimited, 28.4 s / 18.1 s with
 * 64, 44.9 s / 28.2 s with 16; 200 took 8.5-9.6 s unlimited, 9.5-10.5 s with 8-32. Fewer than some
 * 32 at once is slower: the members' /etc/hosts are rewritten once per batch of joins
 * (network-manager.ts), and the containers already running cost their periodic checks for longer.
 * 64 is as fast as none, and still bounds the work in flight (memory, open files) of a large apply.
 */
export const START_SLOTS = 64;

interface Entry {
  actor: Actor<ContainerMachine>;
  /** The status derived from the actor's latest snapshot (what view() returns). */
  view?: ContainerStatus;
  /** Status last written, to skip identical writes. */
  written?: string;
  lastPhase?: string;
  /** Set while the reconcile's own spawn or send runs (see QUIET_PHASES). */
  quiet?: boolean;
}

/**
 * Phases whose reconcile does nothing when the reconcile's own action just led there: it already
 * sent the image news (Pending, WaitingForImage), and the engine's containers are not looked at in
 * a busy phase. A transition into one of them by a spawn or send of the reconcile enqueues no
 * reconcile of its own (one reconcile less per container of an apply; each lists the engine's
 * containers); every later transition — out of a busy phase — still does.
 */
const QUIET_PHASES: ReadonlySet<string> = new Set([...BUSY_PHASES, 'Pending', 'WaitingForImage']);

export class ContainerController {
  readonly queue: WorkQueue;
  readonly #o: ContainerControllerOptions;
  readonly #log: ControllerLog;
  readonly #machine: ContainerMachine;
  readonly #actors = new Map<string, Entry>();
  readonly #puller: ImagePuller;
  readonly #stats: StatsHousekeeping;
  /** The names of the containers the last listing for stats gave, by engine container id. */
  readonly #measuredNames = new Map<string, string>();
  /** Who waits on each name (waitFor): told after every transition, spawn and drop of its actor. */
  readonly #watchers = new Map<string, Set<() => void>>();
  /** Containers in the engine berth did not create: reported, never touched. */
  unknown: EngineContainer[] = [];
  /** Names in the middle of a rename or update: their reconciles wait until it is done. */
  readonly #held = new Set<string>();
  /** Attached readers of each name's output (holdRemoval): its autoRemove waits for them. */
  readonly #attached = new Map<string, number>();
  /** Status writes and events, written once per turn of the event loop (write-batch.ts). */
  readonly #writes: WriteBatch;

  constructor(o: ContainerControllerOptions) {
    this.#o = o;
    this.#log = o.log ?? silentLog;
    this.#writes = new WriteBatch(o.store, (err) => this.#log.warn('status or event not written', { error: errorMessage(err) }));
    const slots = new Slots(o.startSlots ?? START_SLOTS);
    this.#machine = createContainerMachine({
      engine: o.engine,
      clock: o.clock,
      newContainerID: o.newContainerID ?? (() => randomBytes(32).toString('hex')),
      record: (name, uid, type, reason, message) => this.#record(type, { kind: 'Container', name, uid }, reason, message),
      ...(o.removeRetryMs !== undefined ? { removeRetryMs: o.removeRetryMs } : {}),
      admit: (fn, signal) => slots.run(fn, signal),
    });
    this.#puller = new ImagePuller({
      engine: o.engine,
      clock: o.clock,
      ...(o.metrics ? { metrics: o.metrics } : {}),
      onSettled: (ref) => this.enqueueUsingRef(ref),
    });
    this.queue = new WorkQueue({
      clock: o.clock,
      handler: (name) => this.reconcile(name),
      concurrency: o.concurrency ?? 8,
      ...(o.metrics ? { observer: o.metrics.queueObserver('container') } : {}),
      onTerminal: (name, err) => this.#recordTerminal(name, err),
      onError: (name, err, ms) => this.#log.warn('reconcile failed; will retry', { container: name, error: errorMessage(err), retryInMs: ms }),
    });
    this.#stats = new StatsHousekeeping({
      clock: o.clock,
      read: (id) => o.engine.stats(id),
      ids: () => {
        this.#measuredNames.clear();
        for (const [name, e] of this.#actors) {
          const s = e.actor.getSnapshot();
          if (s.context.containerID && MEASURED_PHASES.has(phaseOf(s.value))) this.#measuredNames.set(s.context.containerID, name);
        }
        return [...this.#measuredNames.keys()];
      },
      ...(o.metrics ? { collected: (id: string, stats: ContainerStats) => this.#prepareSample(id, stats) } : {}),
      ...(o.statsIntervalMs !== undefined ? { intervalMs: o.statsIntervalMs } : {}),
    });
    o.metrics?.setContainerSource(() => this.samples());
  }

  /** Enqueues every Container object and every name the engine has containers for. */
  async start(): Promise<void> {
    const names = new Set(this.#o.store.list('Container').map((r) => r.metadata.name));
    const all = await this.#o.engine.list();
    this.unknown = all.filter((c) => !c.owner);
    for (const c of this.unknown) {
      this.#log.warn('container not created by berth left alone', { id: c.id, status: c.status });
    }
    for (const c of all) if (c.owner) names.add(c.owner.name);
    for (const n of names) this.queue.add(n);
  }

  enqueue(name: string): void {
    this.queue.add(name);
  }

  /** Containers whose spec.image is this Image object's name or this registry reference. */
  enqueueUsingImage(imageName: string): void {
    for (const r of this.#o.store.list('Container') as ContainerResource[]) if (r.spec.image === imageName) this.queue.add(r.metadata.name);
  }

  enqueueUsingRef(ref: string): void {
    for (const r of this.#o.store.list('Container') as ContainerResource[]) {
      if (!imageIsObjectName(r.spec.image) && this.#puller.normalise(r.spec.image) === ref) this.queue.add(r.metadata.name);
    }
  }

  /** Stops the actors (containers keep running under their monitors) and the queue. */
  async stop(): Promise<void> {
    await this.queue.shutdown();
    this.#stats.stop();
    for (const e of this.#actors.values()) e.actor.stop();
    this.#actors.clear();
    this.#writes.flush();
    for (const name of this.#watchers.keys()) this.#notify(name);
  }

  /**
   * The container's status as its controller sees it now — the same typed status it writes to the
   * store after every transition; undefined while the controller has no lifecycle for the name.
   */
  view(name: string): ContainerStatus | undefined {
    return this.#actors.get(name)?.view;
  }

  /**
   * Resolves with the view once `done` holds for it (checked at once and after every change of the
   * container's lifecycle); rejects when signal aborts. A container without a lifecycle yet is waited for.
   */
  waitFor(name: string, done: (view: ContainerStatus | undefined) => boolean, signal?: AbortSignal): Promise<ContainerStatus | undefined> {
    return new Promise((resolve, reject) => {
      const watchers = this.#watchers.get(name) ?? new Set<() => void>();
      this.#watchers.set(name, watchers);
      const check = () => {
        const view = this.view(name);
        if (!done(view)) return;
        cleanup();
        resolve(view);
      };
      const onAbort = () => {
        cleanup();
        reject(signal!.reason);
      };
      const cleanup = () => {
        watchers.delete(check);
        if (watchers.size === 0 && this.#watchers.get(name) === watchers) this.#watchers.delete(name);
        signal?.removeEventListener('abort', onAbort);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      watchers.add(check);
      check();
    });
  }

  /**
   * An attached client reads the container's output from its log, which goes with the container:
   * until the release, an autoRemove (Docker's `run --rm`) leaves the exited container in place.
   * The release reconciles the name, so the removal then goes ahead.
   */
  holdRemoval(name: string): () => void {
    this.#attached.set(name, (this.#attached.get(name) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.#attached.get(name)! - 1;
      if (left > 0) this.#attached.set(name, left);
      else this.#attached.delete(name);
      this.enqueue(name);
    };
  }

  /** Lifecycle verbs from the API (stop, start, pause, unpause). */
  send(name: string, event: UserEvent): void {
    const e = this.#actors.get(name);
    if (!e) throw new NotFoundError(`container "${name}" has no lifecycle yet: it is not applied or still being set up; retry in a moment`);
    e.actor.send(event);
  }

  /**
   * `rename`: the engine's containers of `from` get owner `to`, then — in one step — the actor of
   * `from` is dropped (its container keeps running, as over a daemon restart) and the store moves
   * the object; the reconcile of `to` adopts the container (the spec hash has no name in it).
   */
  async rename(from: string, to: string, o: { labels?: Record<string, string> } = {}): Promise<void> {
    if (!this.#o.engine.rename) throw new FailedPreconditionError('this engine cannot rename containers');
    await this.#exclusive([from, to], async () => {
      if (this.#o.store.get('Container', to)) throw new AlreadyExistsError(`the container name "${to}" is already in use; remove that container (\`berth rm -f ${to}\`) or choose another name`);
      for (const c of await this.#o.engine.list({ name: from })) await this.#o.engine.rename!(c.id, to);
      this.#dropActor(from);
      const res = this.#o.store.rename('Container', from, to) as ContainerResource;
      // New labels (the Docker name kept with a rename) change no spec: the same container is adopted.
      if (o.labels) {
        const { apiVersion, kind, metadata, spec } = res;
        this.#o.store.put({ apiVersion, kind, metadata: { name: to, labels: o.labels, ...(metadata.annotations ? { annotations: metadata.annotations } : {}) }, spec }, metadata.source ?? 'cli:rename');
      }
    });
  }

  /**
   * `update`: the new spec applied to the object's containers in place (the engine writes the live
   * cgroup, the bundle and the owner's spec hash; a refusal changes nothing), then — as for a rename —
   * its actor is dropped and the store takes the spec; the reconcile adopts the same container,
   * whose hash is now the new spec's, and continues its lifecycle from the store's status.
   */
  async update(name: string, spec: ContainerSpec): Promise<void> {
    const update = this.#o.engine.update?.bind(this.#o.engine);
    if (!update) throw new FailedPreconditionError('this engine cannot update containers');
    await this.#inPlace(name, spec, 'update', 'cli:update', (c, hash) => update(c.id, { spec, specHash: hash }));
  }

  /**
   * `network connect` / `network disconnect`, as update: `spec` is the object's with its new list
   * of networks; the engine changes the containers' interfaces live and takes the new spec hash,
   * so the reconcile adopts the same container instead of recreating it.
   */
  async connectNetwork(name: string, spec: ContainerSpec, o: { network: string; aliases?: string[] }): Promise<void> {
    const connect = this.#o.engine.connectNetwork?.bind(this.#o.engine);
    if (!connect) throw new FailedPreconditionError('this engine cannot connect containers to networks');
    await this.#inPlace(name, spec, 'connect', 'cli:network', (c, hash) => connect(c.id, { ...o, spec, specHash: hash }));
  }

  async disconnectNetwork(name: string, spec: ContainerSpec, o: { network: string; force?: boolean }): Promise<void> {
    const disconnect = this.#o.engine.disconnectNetwork?.bind(this.#o.engine);
    if (!disconnect) throw new FailedPreconditionError('this engine cannot disconnect containers from networks');
    await this.#inPlace(name, spec, 'disconnect', 'cli:network', (c, hash) => disconnect(c.id, { ...o, specHash: hash }));
  }

  /**
   * The new spec applied to the object's containers in place by `apply` (a refusal changes
   * nothing), then — as for a rename — its actor is dropped and the store takes the spec; the
   * reconcile adopts the same container, whose hash is now the new spec's, and continues its
   * lifecycle from the store's status.
   */
  async #inPlace(name: string, spec: ContainerSpec, verb: string, source: string, apply: (c: EngineContainer, specHash: string) => Promise<void>): Promise<void> {
    let adopting = false;
    await this.#exclusive([name], async () => {
      const res = this.#o.store.get('Container', name) as ContainerResource | undefined;
      if (!res) throw new NotFoundError(`no container named "${name}" (see \`berth ps -a\`)`);
      const phase = this.view(name)?.phase;
      if (phase && BUSY_PHASES.has(phase)) throw new FailedPreconditionError(`container "${name}" is ${phase.toLowerCase()}; ${verb} it once it has settled (see \`berth ps -a\`)`);
      const containers = await this.#o.engine.list({ name });
      for (const c of containers) await apply(c, specHash(spec, c.imageDigest));
      adopting = containers.length > 0;
      if (containers.length) this.#dropActor(name);
      const { apiVersion, kind, metadata } = res;
      this.#o.store.put({ apiVersion, kind, metadata: { name, ...(metadata.labels ? { labels: metadata.labels } : {}), ...(metadata.annotations ? { annotations: metadata.annotations } : {}) }, spec }, metadata.source ?? source);
    });
    // Answered once the container has its lifecycle again (adopted by the reconcile just queued), so
    // that the caller's next verb finds it — docker-compose connects a created container, then starts it.
    if (adopting) await this.waitFor(name, (v) => v?.containerID !== undefined);
  }

  /** Runs fn while no reconcile of these names runs or starts (rename, update). */
  async #exclusive(names: string[], fn: () => Promise<void>): Promise<void> {
    for (const n of names) this.#held.add(n);
    try {
      // A reconcile already running for one of them finishes first (hand-written: the workqueue
      // has no per-key lock to take, and these verbs are rare).
      while (this.queue.pending().processing.some((k) => names.includes(k))) await new Promise((r) => setTimeout(r, 20));
      await fn();
    } finally {
      for (const n of names) {
        this.#held.delete(n);
        this.#notify(n);
        this.queue.add(n);
      }
    }
  }

  /** The actor goes; its container keeps running, as over a daemon restart, for the next reconcile to adopt. */
  #dropActor(name: string): void {
    this.#actors.get(name)?.actor.stop();
    this.#actors.delete(name);
    // Its last status goes to the object before the object moves or takes a new spec.
    this.#writes.flush();
  }

  #notify(name: string): void {
    for (const w of [...(this.#watchers.get(name) ?? [])]) w();
  }

  async reconcile(name: string): Promise<{ requeueAfter?: number }> {
    if (this.#held.has(name)) return { requeueAfter: 50 };
    const res = this.#o.store.get('Container', name) as ContainerResource | undefined;
    const entry = this.#actors.get(name);
    const { actor, containers } = await this.#observe(name, entry);
    const desired = res
      ? {
          name,
          uid: res.metadata.uid,
          generation: res.metadata.generation,
          spec: res.spec,
          ...(res.metadata.annotations?.[HOLD_START] === 'manual' ? { holdStart: true } : {}),
          image: await this.#imageFor(res.spec.image, res.spec.imagePullPolicy ?? 'IfNotPresent', Date.parse(res.metadata.creationTimestamp)),
        }
      : undefined;
    const stored = res?.status.lifecycle;
    const decision = reconcileContainer(
      desired,
      {
        ...(actor ? { actor } : {}),
        containers,
        ...(stored ? { stored } : {}),
        ...(this.#attached.has(name) ? { attached: true } : {}),
      },
      this.#o.clock.now(),
    );
    for (const a of decision.actions) await this.#execute(name, a, res);
    return decision.requeueAfter !== undefined ? { requeueAfter: decision.requeueAfter } : {};
  }

  /**
   * The actor's view and the engine's containers of one moment: the actor is looked at before and
   * after the list, and the list is taken again while it moved meanwhile. A list older than the view
   * would show a container the actor has just started as `created` (taken for one that stopped
   * behind its back); a view older than the list would show a container the actor has just made as
   * a stray to remove.
   */
  async #observe(name: string, entry: Entry | undefined): Promise<{ actor?: ActorView; containers: EngineContainer[] }> {
    const look = () => (entry ? actorView(entry.actor.getSnapshot()) : undefined);
    let before = look();
    for (let tries = 1; ; tries++) {
      const containers = await this.#o.engine.list({ name });
      const after = look();
      if (tries === 5 || (before?.phase === after?.phase && before?.containerID === after?.containerID)) return { ...(after ? { actor: after } : {}), containers };
      before = after;
    }
  }

  async #execute(name: string, a: ContainerAction, res: ContainerResource | undefined): Promise<void> {
    switch (a.type) {
      case 'pull':
        this.#puller.pull(a.ref, a.always ? 'Always' : 'IfNotPresent');
        return;
      case 'deleteObject':
        this.#log.info('removing container: it has exited and asked for autoRemove', { container: name });
        this.#o.store.delete('Container', name);
        return;
      case 'spawn': {
        const actor = createActor(this.#machine, {
          input: { desired: a.desired, ...(a.stored ? { stored: a.stored } : {}), ...(a.adopt ? { adopt: a.adopt } : {}) },
          clock: this.#o.clock,
        });
        const entry: Entry = { actor };
        this.#actors.set(name, entry);
        actor.subscribe({
          next: (snap) => this.#onSnapshot(name, entry, snap),
          error: (err) => this.#log.error('container lifecycle crashed', { container: name, error: errorMessage(err) }),
        });
        if (a.adopt) this.#log.info('re-adopted container', { container: name, id: a.adopt.id, status: a.adopt.status });
        quietly(entry, () => actor.start());
        return;
      }
      case 'send': {
        const entry = this.#actors.get(name);
        if (entry) quietly(entry, () => entry.actor.send(a.event));
        return;
      }
      case 'dropActor':
        this.#actors.get(name)?.actor.stop();
        this.#actors.delete(name);
        this.#notify(name);
        return;
      case 'removeStray': {
        // The object's grace period; its container's own when the object is gone.
        const grace = res?.spec.terminationGracePeriodSeconds ?? a.container.stopTimeoutSeconds ?? 10;
        this.#log.info('removing container', { container: name, id: a.container.id, reason: a.reason });
        if (a.container.status === 'running' || a.container.status === 'paused') {
          await this.#o.engine.stop(a.container.id, { timeoutSeconds: grace }).catch(() => undefined);
        }
        await this.#o.engine.remove(a.container.id, { force: true });
        this.#record('Normal', { kind: 'Container', name }, 'Removed', `Removed container ${a.container.id.slice(0, 12)}: ${a.reason}`);
        return;
      }
    }
  }

  /** Events of the controller and its actors, in the order they happen, with the status writes (write-batch.ts). */
  #record(type: 'Normal' | 'Warning', target: { kind: string; name: string; uid?: string }, reason: string, message: string): void {
    this.#writes.event(() => (type === 'Normal' ? this.#o.events.normal(target, reason, message) : this.#o.events.warning(target, reason, message)));
  }

  /**
   * After every transition: the view, the store's status (when it changed: written with the other
   * writes of this turn, write-batch.ts), the waiters, the queue.
   */
  #onSnapshot(name: string, entry: Entry, snap: ContainerSnapshot): void {
    const phase = phaseOf(snap.value);
    // Conditions keep their lastTransitionTime from the previous view; a new actor's, from the store.
    const prev = entry.view ? entry.view.conditions : this.#o.store.get('Container', name)?.status.conditions;
    const status = containerStatus(phase, snap.context, prev, isoTime(this.#o.clock));
    entry.view = status;
    if (phase !== 'Removed') {
      const key = JSON.stringify({ ...status, conditions: status.conditions.map((c) => ({ ...c, lastTransitionTime: '' })) });
      if (key !== entry.written) {
        entry.written = key;
        this.#writes.status(name, () => {
          try {
            this.#o.store.setStatus({ kind: 'Container', name }, { ...status });
          } catch (err) {
            // Deleted meanwhile: its actor still reports the removal, which has no object to go to.
            if (!(err instanceof NotFoundError)) throw err;
          }
        });
      }
    }
    if (this.#actors.get(name) === entry) this.#notify(name);
    if (phase !== entry.lastPhase) {
      entry.lastPhase = phase;
      if (!(entry.quiet && QUIET_PHASES.has(phase))) this.queue.add(name);
    }
  }

  #recordTerminal(name: string, err: unknown): void {
    // The actor's statuses not written yet come first: this one is the last word.
    this.#writes.flush();
    const res = this.#o.store.get('Container', name);
    if (!res) return;
    this.#o.store.setStatus(
      { kind: 'Container', name },
      { ...res.status, observedGeneration: res.metadata.generation, phase: 'Failed', reason: 'InvalidSpec', message: errorMessage(err) },
    );
    this.#o.events.warning({ kind: 'Container', name, uid: res.metadata.uid }, 'InvalidSpec', errorMessage(err));
  }

  /** Where the image stands; a registry reference that is not there is "missing" (the decision pulls it). */
  async #imageFor(image: string, policy: 'IfNotPresent' | 'Always' | 'Never', since: number): Promise<ImageAvailability> {
    if (!imageIsObjectName(image)) return this.#puller.availability(image, policy, since);
    const img = this.#o.store.get('Image', image) as ImageResource | undefined;
    if (!img) {
      return {
        state: 'pending',
        reason: 'ImageNotFound',
        message: `Waiting for image "${image}": there is no Image object of that name yet; apply one (the name is never tried as a registry reference: for that write "${image}:latest")`,
      };
    }
    const st = img.status as Status & { digest?: string; reason?: string; message?: string };
    const ready = st.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (ready && st.digest && st.observedGeneration === img.metadata.generation) {
      return { state: 'ready', image: { ref: img.spec.ref, digest: st.digest } };
    }
    if (st.phase === 'Failed') return { state: 'failed', reason: st.reason ?? 'ErrImage', message: st.message ?? `Image "${image}" failed` };
    const doing = st.phase === 'Building' ? 'building' : 'pulling';
    return { state: 'pending', reason: st.phase === 'Building' ? 'ImageBuilding' : 'ImagePulling', message: `Waiting for image "${image}" (${doing} ${img.spec.ref})` };
  }

  /** One sample per container with a process, for /metrics. */
  async samples(): Promise<ContainerSample[]> {
    const out: ContainerSample[] = [];
    const labelsOf = this.#o.store.labels('Container');
    // Stats not collected yet are read, all at once; the others are at hand (no promise each).
    const unread: Array<Promise<void>> = [];
    for (const [name, e] of this.#actors) {
      const sample = sampleOf(name, e.actor.getSnapshot(), labelsOf.get(name));
      if (!sample) continue;
      if (MEASURED_PHASES.has(sample.phase)) {
        const stats = this.#stats.collected(sample.id);
        if (stats) sample.stats = stats;
        else {
          unread.push(
            this.#stats.get(sample.id).then((read) => {
              if (read) sample.stats = read;
            }),
          );
        }
      }
      out.push(sample);
    }
    await Promise.all(unread);
    return out.sort((a, b) => byCodeUnit(a.name, b.name));
  }

  /** The sample of stats just collected in the background, made into /metrics lines ahead of the next scrape. */
  #prepareSample(id: string, stats: ContainerStats): void {
    const name = this.#measuredNames.get(id);
    const e = name === undefined ? undefined : this.#actors.get(name);
    const sample = e && sampleOf(name!, e.actor.getSnapshot(), this.#o.store.get('Container', name!)?.metadata.labels);
    if (sample?.id === id) this.#o.metrics?.prepare({ ...sample, stats });
  }

  /** Collects the containers' stats from now on, scraped or not: the daemon serves /metrics. */
  collectStatsAlways(): void {
    this.#stats.collectAlways();
  }
}

/** Phases whose container has a process to measure. */
const MEASURED_PHASES: ReadonlySet<string> = new Set(['Running', 'Paused']);

/** A container's sample for /metrics without its stats; undefined while it has no engine container. */
function sampleOf(name: string, snap: ContainerSnapshot, labels: Record<string, string> | undefined): ContainerSample | undefined {
  const phase = phaseOf(snap.value);
  const c = snap.context;
  if (!c.containerID || phase === 'Removed') return undefined;
  const sample: ContainerSample = { name, image: c.image?.ref ?? c.desired.spec.image, id: c.containerID, phase, restartCount: c.restartCount };
  if (c.startedAt) sample.startTime = Date.parse(c.startedAt) / 1000;
  if (labels && Object.keys(labels).length) sample.labels = labels;
  return sample;
}

function quietly(entry: Entry, fn: () => void): void {
  entry.quiet = true;
  try {
    fn();
  } finally {
    entry.quiet = false;
  }
}

function actorView(snap: ContainerSnapshot): ActorView {
  const c = snap.context;
  return {
    phase: phaseOf(snap.value),
    specHash: c.desired.specHash,
    generation: c.desired.generation,
    ...(c.pendingDesired ? { pendingSpecHash: c.pendingDesired.specHash } : {}),
    deleteRequested: c.deleteRequested,
    ...(c.containerID ? { containerID: c.containerID } : {}),
    ...(c.image ? { imageDigest: c.image.digest } : {}),
    ...(c.imageCondition.status === 'False'
      ? { imageWaiting: { reason: c.imageCondition.reason, ...(c.imageCondition.message ? { message: c.imageCondition.message } : {}) } }
      : {}),
  };
}
