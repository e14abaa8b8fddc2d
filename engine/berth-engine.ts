// BerthEngine: the Engine the controllers drive (engine.ts), made of the parts below it through the
// narrow ports of deps.ts — an image service, overlay snapshots, an optional network manager, an
// optional builder — and a Runtime (native launcher or runc). It serves the image verbs by handing
// them to those parts, and keeps the containers' bookkeeping:
//  - on disk, a container is <root>/containers/<id>/: container.json (container-store.ts, its one
//    writer) and the OCI bundle (bundle-assembly.ts; the rootfs is the snapshot's mount);
//  - the runtime keeps its own state (pid, exit) under its own directory; list() joins the two, so
//    containers survive a restart of the daemon and are re-adopted from disk;
//  - one operation at a time per container: start, stop and remove take the container's lock.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirUsage } from './snapshots/disk-usage.ts';
import { join } from 'node:path';
import { upperChanges, writeUpperLayer } from './container-layer.ts';
import { assembleBundle, type Undo } from './bundle-assembly.ts';
import { ContainerStore, type ContainerRecord } from './container-store.ts';
import type { BuilderPort, EngineImage, ImagesPort, NetworkPort, SnapshotsPort } from './deps.ts';
import type { CreateRequest, Engine, EngineContainer, ImageHandle, ProbeCheck, ProbeOutcome, PullPolicy, PullProgress, Sandbox, SandboxRequest } from './engine.ts';
import { runProbeCheck } from './probes.ts';
import { checkBerthContainerId } from './ids.ts';
import { processesInPidNamespaceOf } from './processes.ts';
import { mountSysfs, unmountSysfs, UsernsAllocator, type UsernsOptions } from './security/userns.ts';
import type { ContainerState, ExecOptions, ExecResult, ExecSessionOptions, LogOptions, Runtime } from './runtime/runtime.ts';
import type { ExecSession, StdioSession } from './runtime/stdio.ts';
import type { ContainerSpec, ImageSpec } from '../specs/schema.ts';
import { bundleLimits, rewriteBundleLimits, updatedLimits } from './container-update.ts';
import { connectRecord, disconnectRecord, networksOfRecord, reattach } from './container-networks.ts';
import { portMappings } from './container-network.ts';
import { FailedPreconditionError, NotFoundError } from '../specs/errdefs.ts';
import type { ContainerStats, ExitInfo, FileChange, LogEntry, PathStat, ProcessInfo } from '../specs/api/containers.ts';
import type { Readable } from 'node:stream';
import * as files from './container-files.ts';
import { KeyedLock } from './keyed-lock.ts';
import { ContainerVolumes, type VolumesPort } from './volumes/container-mounts.ts';
import { LocalVolumes } from './volumes/local-volumes.ts';
import { PodSandboxes } from './pod-sandbox.ts';
import { isoTime } from '../specs/timestamps.ts';

export interface BerthEngineOptions {
  /** Data root: containers/ and volumes/ live under it. */
  root: string;
  /** cgroup parent of every container (default "berth"): /sys/fs/cgroup/<controller>/<parent>/<id>. */
  cgroupParent?: string;
  runtime: Runtime;
  images: ImagesPort;
  snapshots: SnapshotsPort;
  network?: NetworkPort;
  builder?: BuilderPort;
  /** Volumes, binds and tmpfs of containers (default: local volumes under root). */
  volumes?: VolumesPort;
  /** Where berth's subordinate ID ranges are (default /etc/subuid, /etc/subgid). */
  userns?: UsernsOptions;
}

function handle(img: EngineImage): ImageHandle {
  return { ref: img.ref, digest: img.digest, ...(img.size !== undefined ? { size: img.size } : {}) };
}

export class BerthEngine implements Engine {
  readonly #o: BerthEngineOptions;
  readonly #store: ContainerStore;
  /** One start/stop/remove at a time per container. */
  readonly #lock = new KeyedLock();
  readonly #volumes: VolumesPort;
  readonly #userns: UsernsAllocator;
  readonly #sandboxes: PodSandboxes;

  constructor(o: BerthEngineOptions) {
    this.#o = o;
    this.#store = new ContainerStore(join(o.root, 'containers'));
    this.#volumes = o.volumes ?? new ContainerVolumes({ root: o.root, volumes: new LocalVolumes({ root: o.root }) });
    this.#userns = new UsernsAllocator(o.userns);
    this.#sandboxes = new PodSandboxes({ root: join(o.root, 'sandboxes'), ...(o.network ? { network: o.network } : {}) });
  }

  // ---- Pod sandboxes (pod-sandbox.ts) ----

  ensureSandbox = (req: SandboxRequest): Promise<Sandbox> => this.#sandboxes.ensure(req);
  removeSandbox = (uid: string): Promise<void> => this.#sandboxes.remove(uid);
  listSandboxes = (): Promise<Sandbox[]> => this.#sandboxes.list();
  setSandboxAliases = (uid: string, aliases: string[]): Promise<void> => this.#sandboxes.setAliases(uid, aliases);

  // ---- images ----

  async ensureImage(ref: string, policy: PullPolicy, onProgress?: (p: PullProgress) => void): Promise<ImageHandle> {
    return handle(await this.#o.images.ensure(ref, policy, onProgress));
  }

  async resolveImage(ref: string): Promise<ImageHandle | undefined> {
    const img = await this.#o.images.resolve(ref);
    return img && handle(img);
  }

  buildImage = async (ref: string, build: NonNullable<ImageSpec['build']>): Promise<ImageHandle> => {
    if (!this.#o.builder) throw new FailedPreconditionError(`image ${ref}: this daemon has no builder; pull the image instead`);
    return this.#o.builder.build(ref, build);
  };

  buildContextDigest = async (build: NonNullable<ImageSpec['build']>): Promise<string> => {
    if (!this.#o.builder) throw new FailedPreconditionError('this daemon has no builder');
    return this.#o.builder.contextDigest(build);
  };

  pushImage = async (ref: string): Promise<void> => {
    if (!this.#o.images.push) throw new FailedPreconditionError(`image ${ref}: push is not available`);
    await this.#o.images.push(ref);
  };

  // ---- containers ----

  async create(req: CreateRequest): Promise<EngineContainer> {
    checkBerthContainerId(req.id);
    return this.#store.creating(req.id, async (dir) => {
      const undo: Undo = [() => this.#store.delete(req.id)];
      try {
        const image = await this.#image(req.image);
        if (!image) throw new NotFoundError(`image ${req.image.ref} (${req.image.digest}) is not in the content store; pull it first`);
        const bundle = await assembleBundle(req, image, dir, {
          snapshots: this.#o.snapshots,
          ...(this.#o.network ? { network: this.#o.network } : {}),
          dataRoot: this.#o.root,
          volumes: this.#volumes,
          cgroupParent: this.#o.cgroupParent ?? 'berth',
          userns: async (id) => this.#userns.allocate(id, await this.#usernsInUse()),
          sandbox: (uid) => this.#sandboxes.repair(uid),
          sandboxVolume: (uid, name, memory) => this.#sandboxes.volume(uid, name, memory),
        }, undo);
        const record: ContainerRecord = {
          id: req.id,
          owner: req.owner,
          image: { ref: req.image.ref, digest: image.digest },
          createdAt: isoTime(),
          stopTimeoutSeconds: req.spec.terminationGracePeriodSeconds,
          ...bundle,
        };
        // Written last: a directory without container.json is a create that did not finish.
        this.#store.create(record);
        return view(record, undefined);
      } catch (err) {
        for (const fn of undo.reverse()) await fn().catch(() => undefined);
        throw err;
      } finally {
        this.#userns.release(req.id);
      }
    });
  }

  start(id: string): Promise<EngineContainer> {
    return this.#locked(id, async () => {
      let rec = await this.#store.get(id);
      const existing = await this.#state(id);
      if (existing && existing.status !== 'stopped') throw new FailedPreconditionError(`container ${id} is already ${existing.status}`);
      if (existing) await this.#o.runtime.delete(id, { force: true });
      // The rootfs may have been unmounted (a reboot, a crash): prepare() mounts it again.
      const image = await this.#image(rec.image);
      if (image) await this.#o.snapshots.prepare(id, image, rec.userns);
      await this.#volumes.restore(id);
      let netnsPath: string | undefined;
      // Likewise the network: attach returns at once when the attachment is healthy, and rebuilds
      // the namespace at the same path (perhaps with another address) when it is not.
      if (rec.network.sandbox) {
        // A Pod's member: its Pod's namespaces, made again if a reboot took them.
        netnsPath = (await this.#sandboxes.repair(rec.network.sandbox)).netnsPath;
      } else if (rec.network.mode !== 'host' && this.#o.network) {
        const again = await reattach(this.#o.network, rec);
        netnsPath = again.netnsPath;
        if (again.rec !== rec) await this.#store.write((rec = again.rec));
      }
      if (rec.userns) await mountSysfs(this.#store.dir(id), netnsPath);
      // The record is not written again (it kept a `started` flag that nothing read): whether the
      // container ran is the runtime's state, and each rewrite makes an inode and frees one
      // (engine/spread-dirs.ts tells what that costs on ext4 without a journal).
      return view(rec, await this.#o.runtime.run({ id, bundle: this.#store.dir(id) }));
    });
  }

  stop(id: string, opts: { signal?: string; timeoutSeconds: number }): Promise<ExitInfo> {
    return this.#locked(id, async () => {
      const rec = await this.#store.get(id);
      const state = await this.#state(id);
      if (!state) throw new FailedPreconditionError(`container ${id} was never started`);
      return this.#o.runtime.stop(id, { signal: opts.signal ?? rec.stopSignal, timeoutSeconds: opts.timeoutSeconds });
    });
  }

  /**
   * `update`: the spec's limits into the running container's cgroup (the kernel may refuse: nothing
   * is changed then), then into its bundle and its record's spec hash, so that the same container —
   * same id, same process — is what the new spec describes, now and after a restart.
   */
  update(id: string, o: { spec: ContainerSpec; specHash: string }): Promise<void> {
    return this.#locked(id, async () => {
      const rec = await this.#store.get(id);
      const limits = updatedLimits(o.spec);
      if (await this.#state(id)) {
        const before = await bundleLimits(this.#store.dir(id));
        await this.#o.runtime.update(id, limits).catch(async (err: unknown) => {
          // A refusal may come after some files were written (memory, then memory+swap): back to the bundle's.
          await this.#o.runtime.update(id, before).catch(() => undefined);
          throw err;
        });
      }
      await rewriteBundleLimits(this.#store.dir(id), limits);
      await this.#store.write({ ...rec, owner: { ...rec.owner, specHash: o.specHash } });
    });
  }

  async kill(id: string, signal: string): Promise<void> {
    await this.#store.get(id);
    await this.#o.runtime.kill(id, signal);
  }

  async pause(id: string): Promise<void> {
    await this.#store.get(id);
    await this.#o.runtime.pause(id);
  }

  async resume(id: string): Promise<void> {
    await this.#store.get(id);
    await this.#o.runtime.resume(id);
  }

  remove(id: string, opts: { force?: boolean } = {}): Promise<void> {
    return this.#locked(id, async () => {
      checkBerthContainerId(id);
      const state = await this.#state(id);
      if (state && state.status !== 'stopped' && !opts.force) {
        throw new FailedPreconditionError(`container ${id} is ${state.status}; stop it first or remove it with force`);
      }
      if (state) await this.#o.runtime.delete(id, { force: true });
      // With its process gone, the rest is three independent undos, done at once (a `run --rm`
      // waits for all of them): the network attachment, the root filesystem, the volumes' holds.
      // Each is idempotent; all are let settle before an error is thrown, so that the lock is not
      // released while one still runs. The record goes last: a failed remove is retried whole.
      const undone = await Promise.allSettled([
        this.#o.network?.detach(id),
        unmountSysfs(this.#store.dir(id)).then(() => this.#o.snapshots.remove(id)),
        this.#volumes.release(id),
      ]);
      for (const u of undone) if (u.status === 'rejected') throw u.reason;
      await this.#store.delete(id);
    });
  }

  async inspect(id: string): Promise<EngineContainer> {
    const rec = await this.#store.get(id);
    return view(rec, await this.#state(id));
  }

  async list(filter?: { name?: string }): Promise<EngineContainer[]> {
    // One object's containers (each reconcile asks): their records from memory, their own states
    // only, not the whole runtime's.
    if (filter?.name) return Promise.all((await this.#store.owned(filter.name)).map(async (rec) => view(rec, await this.#state(rec.id))));
    const ids = await this.#store.ids();
    const known = new Set(ids);
    const runtimeStates = new Map((await this.#o.runtime.list()).map((s) => [s.id, s]));
    const out: EngineContainer[] = [];
    for (const id of ids) {
      const rec = await this.#store.get(id).catch(() => undefined);
      if (!rec) {
        // A create that never finished (the daemon died in it), or a record that cannot be read:
        // whatever runs from it is ended and what it holds is removed.
        if (!this.#store.pending(id)) {
          if (runtimeStates.has(id)) await this.#o.runtime.delete(id, { force: true }).catch(() => undefined);
          await this.#cleanupPartial(id);
        }
        continue;
      }
      out.push(view(rec, runtimeStates.get(id)));
    }
    // Containers the runtime runs that berth has no record of: reported, never touched.
    for (const [id, s] of runtimeStates) {
      if (known.has(id)) continue;
      out.push({ id, status: s.status, pid: s.pid, createdAt: s.createdAt, ...(s.startedAt ? { startedAt: s.startedAt } : {}), ...(s.exit ? { exit: s.exit } : {}) });
    }
    return out;
  }

  async wait(id: string, signal?: AbortSignal): Promise<ExitInfo> {
    await this.#store.get(id);
    return this.#o.runtime.wait(id, signal);
  }

  async stats(id: string): Promise<ContainerStats> {
    const s = await this.#o.runtime.stats(id);
    const rec = await this.#store.get(id);
    // A Pod's members share its interfaces: each reports the Pod's (as cAdvisor does for a pod's containers).
    // The process's /proc shows its namespace's counters: no process started per container per scrape.
    const pid = rec.network.mode === 'host' ? undefined : (await this.#state(id).catch(() => undefined))?.pid;
    const live = pid && pid > 0 ? pid : undefined;
    const net = await (rec.network.sandbox ? this.#sandboxes.stats(rec.network.sandbox, live) : this.#o.network?.stats?.(id, live))?.catch(() => undefined);
    const fs = await this.#o.snapshots.usage?.(id).catch(() => undefined);
    return { ...s, ...(net ? { network: net } : {}), ...(fs ? { filesystem: fs } : {}) };
  }

  async exec(id: string, opts: ExecOptions): Promise<ExecResult> {
    await this.#store.get(id);
    return this.#o.runtime.exec(id, opts);
  }

  async attach(id: string, opts: { replay?: boolean } = {}): Promise<StdioSession> {
    await this.#store.get(id);
    return this.#o.runtime.attach(id, opts);
  }

  async attachSocket(id: string): Promise<string | undefined> {
    await this.#store.get(id);
    return this.#o.runtime.attachSocket?.(id);
  }

  async execSession(id: string, opts: ExecSessionOptions): Promise<ExecSession> {
    await this.#store.get(id);
    return this.#o.runtime.execSession(id, opts);
  }

  probe(id: string, check: ProbeCheck): Promise<ProbeOutcome> {
    return runProbeCheck(check, (args, timeoutMs) => this.exec(id, { args, timeoutMs }));
  }

  async *logs(id: string, opts: LogOptions = {}): AsyncIterable<LogEntry> {
    await this.#store.get(id);
    if (!(await this.#state(id))) return;
    yield* this.#o.runtime.logs(id, opts);
  }

  async top(id: string): Promise<ProcessInfo[]> {
    await this.#store.get(id);
    const state = await this.#state(id);
    if (!state || state.pid <= 0 || state.status === 'stopped') return [];
    return processesInPidNamespaceOf(state.pid);
  }

  // ---- files (cp) ----

  async statPath(id: string, path: string): Promise<PathStat> {
    return files.statPath(await this.#filesRoot(id), path, await this.#nameOf(id));
  }

  async archivePath(id: string, path: string): Promise<{ stat: PathStat; tar: Readable; done: Promise<void> }> {
    const a = await files.archivePath(await this.#filesRoot(id), path, await this.#nameOf(id));
    a.done.catch((err: unknown) => a.tar.destroy(err instanceof Error ? err : new Error(String(err))));
    return a;
  }

  async extractArchive(id: string, dir: string, tar: Readable, o: { keepOwner?: boolean } = {}): Promise<void> {
    return files.extractArchive(await this.#filesRoot(id), dir, tar, await this.#nameOf(id), o);
  }

  async diffLayer(id: string, o: { out: string; pause?: boolean }): Promise<{ digest: string; size: number }> {
    const rec = await this.#store.get(id);
    if (!this.#o.snapshots.upper) throw new FailedPreconditionError(`container ${rec.owner.name}: this engine's snapshots cannot be committed`);
    const pause = o.pause && (await this.#state(id))?.status === 'running';
    if (pause) await this.#o.runtime.pause(id);
    try {
      return await writeUpperLayer(this.#o.snapshots.upper(id), o.out, await this.#mountPoints(id));
    } finally {
      if (pause) await this.#o.runtime.resume(id);
    }
  }

  async changes(id: string): Promise<FileChange[]> {
    const rec = await this.#store.get(id);
    const { upper, lowers } = this.#o.snapshots;
    if (!upper || !lowers) throw new FailedPreconditionError(`container ${rec.owner.name}: this engine's snapshots cannot be compared with their image`);
    const image = await this.#image(rec.image);
    if (!image) throw new NotFoundError(`image ${rec.image.ref} of container ${rec.owner.name} is no longer in the content store; its changes cannot be told`);
    const dir = upper(id);
    if (!existsSync(dir)) return [];
    return upperChanges(dir, await lowers(image), await this.#mountPoints(id));
  }

  /** The mount points the runtime made in the container's root (from its bundle): not the container's own changes. */
  async #mountPoints(id: string): Promise<string[]> {
    const config = JSON.parse(await readFile(join(this.#store.dir(id), 'config.json'), 'utf8')) as { mounts?: Array<{ destination: string }> };
    return (config.mounts ?? []).map((m) => m.destination);
  }

  async size(id: string): Promise<{ rw: number; rootFs: number }> {
    const rec = await this.#store.get(id);
    const upper = this.#o.snapshots.upper?.(id);
    const rw = upper && existsSync(upper) ? (await dirUsage(upper, { apparent: true })).bytes : 0;
    return { rw, rootFs: rw + ((await this.#image(rec.image))?.size ?? 0) };
  }

  /** `network connect`: one more network, live when it runs; the record (and its owner's spec hash) say so. */
  connectNetwork(id: string, o: { network: string; aliases?: string[]; spec: ContainerSpec; specHash: string }): Promise<void> {
    return this.#locked(id, async () => {
      const rec = await connectRecord(this.#o.network, await this.#store.get(id), { ...o, ports: portMappings(o.spec) });
      await this.#store.write({ ...rec, owner: { ...rec.owner, specHash: o.specHash } });
    });
  }

  /** `network disconnect`: one network fewer, live when it runs; kept in the record. */
  disconnectNetwork(id: string, o: { network: string; force?: boolean; specHash: string }): Promise<void> {
    return this.#locked(id, async () => {
      const rec = await disconnectRecord(this.#o.network, await this.#store.get(id), o);
      await this.#store.write({ ...rec, owner: { ...rec.owner, specHash: o.specHash } });
    });
  }

  /** `rename`: only the record's owner name changes; the running process is not touched. */
  rename(id: string, name: string): Promise<void> {
    return this.#locked(id, async () => {
      const rec = await this.#store.get(id);
      await this.#store.write({ ...rec, owner: { ...rec.owner, name } });
    });
  }

  // ---- internals ----

  async #nameOf(id: string): Promise<string> {
    return (await this.#store.get(id)).owner.name;
  }

  /** A running (or paused) container's files through its process; a created or stopped one's through its rootfs, mounted again if need be. */
  async #filesRoot(id: string): Promise<files.FilesRoot> {
    const rec = await this.#store.get(id);
    const state = await this.#state(id);
    if (state && state.status !== 'stopped' && state.pid > 0) return { pid: state.pid };
    const image = await this.#image(rec.image);
    if (!image) throw new NotFoundError(`image ${rec.image.ref} of container ${rec.owner.name} is no longer in the content store; its rootfs cannot be mounted`);
    return { rootfs: (await this.#o.snapshots.prepare(id, image)).rootfs };
  }

  /** The image by digest, else by reference (a retag keeps the digest; a re-pull keeps the ref). */
  async #image(img: { ref: string; digest: string }): Promise<EngineImage | undefined> {
    return (await this.#o.images.resolve(img.digest)) ?? (await this.#o.images.resolve(img.ref));
  }

  /** The runtime's state, undefined when it does not know the container (never started, or deleted). */
  async #state(id: string): Promise<ContainerState | undefined> {
    try {
      return await this.#o.runtime.state(id);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async #cleanupPartial(id: string): Promise<void> {
    await this.#o.network?.detach(id).catch(() => undefined);
    await unmountSysfs(this.#store.dir(id)).catch(() => undefined);
    await this.#o.snapshots.remove(id).catch(() => undefined);
    await this.#volumes.release(id).catch(() => undefined);
    await this.#store.delete(id).catch(() => undefined);
  }

  /** The host uids of the user namespaces of the containers on disk. */
  async #usernsInUse(): Promise<number[]> {
    const out: number[] = [];
    for (const id of await this.#store.ids()) {
      const rec = await this.#store.get(id).catch(() => undefined);
      if (rec?.userns) out.push(rec.userns.uid);
    }
    return out;
  }

  /** Runs fn after every earlier start/stop/remove of the container has settled. */
  #locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.#lock.run(id, fn);
  }
}

function view(rec: ContainerRecord, s: ContainerState | undefined): EngineContainer {
  const networks = networksOfRecord(rec);
  return {
    id: rec.id,
    owner: rec.owner,
    image: rec.image.ref,
    imageDigest: rec.image.digest,
    status: s?.status ?? 'created',
    pid: s && s.status !== 'stopped' ? s.pid : 0,
    createdAt: rec.createdAt,
    ...(s?.startedAt ? { startedAt: s.startedAt } : {}),
    ...(s?.exit ? { exit: s.exit } : {}),
    ...(rec.network.ipAddress ? { ipAddress: rec.network.ipAddress } : {}),
    ...(rec.network.ports?.length ? { ports: rec.network.ports } : {}),
    ...(networks ? { networks } : {}),
    ...(rec.stopTimeoutSeconds !== undefined ? { stopTimeoutSeconds: rec.stopTimeoutSeconds } : {}),
  };
}
