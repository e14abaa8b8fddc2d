// The Engine the controllers drive (engine/engine.ts), made of the parts below it: an image
// service (content store + registry), overlay snapshots (one writable rootfs per container), an
// optional network manager (CNI), an optional builder, and a Runtime (native launcher or runc).
// Each part is reached through the narrow port declared here; engine/wire.ts adapts the real
// services to them.
//
// On disk, a container is <root>/containers/<id>/: container.json (who owns it, its image, its
// network) and config.json (the OCI bundle's config; the rootfs is the snapshot's mount). The
// runtime keeps its own state (pid, exit) under its own directory; list() joins the two, so
// containers survive a restart of the daemon and are re-adopted from disk.
import { mkdir, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerEngine, ContainerOwner, CreateRequest, Engine, EngineContainer, ImageHandle, PullPolicy, PullProgress } from './engine.ts';
import type { ImageSpec } from '../specs/schema.ts';
import type { ExecOptions, ExecResult, LogOptions, Runtime } from './runtime/runtime.ts';
import { containerRunConfig, resolveUser, type ImageRunConfig } from './container-config.ts';
import { ociConfig } from './bundle.ts';
import { readInside } from './runtime/monitored-runtime.ts';
import { writeFileAtomic } from './fs-atomic.ts';
import { ContainerVolumes, type VolumesPort } from './volumes/container-mounts.ts';
import { LocalVolumes } from './volumes/local-volumes.ts';
import { InvalidArgumentError, NotFoundError, FailedPreconditionError } from '../specs/errdefs.ts';
import type { ContainerStats, ExitInfo, LogEntry, NetworkStats, ProcessInfo } from '../specs/api/containers.ts';
import type { PortMapping } from '../specs/api/common.ts';

/** An image as the engine needs it: its handle and the run part of its config. */
export interface EngineImage extends ImageHandle {
  config: ImageRunConfig & { ExposedPorts?: Record<string, unknown> };
}

export interface ImagesPort {
  ensure(ref: string, policy: PullPolicy, onProgress?: (p: PullProgress) => void): Promise<EngineImage>;
  resolve(ref: string): Promise<EngineImage | undefined>;
  push?(ref: string): Promise<void>;
}

export interface SnapshotsPort {
  /** A writable rootfs for the container (mounted; idempotent: mounts it again when it exists). */
  prepare(key: string, image: EngineImage): Promise<{ rootfs: string }>;
  /** Unmounts and deletes it; unknown keys are not an error. */
  remove(key: string): Promise<void>;
}

export interface NetworkAttachment {
  /** The network namespace to join; undefined for the host's network. */
  netnsPath?: string;
  ipAddress?: string;
  hostsFile?: string;
  resolvConfFile?: string;
}

export interface NetworkPort {
  attach(id: string, o: { network: string; name: string; ports: PortMapping[] }): Promise<NetworkAttachment>;
  /** Always safe to call (idempotent, also for ids it does not know). */
  detach(id: string): Promise<void>;
  stats?(id: string): Promise<NetworkStats | undefined>;
}

export interface BuilderPort {
  build(ref: string, build: NonNullable<ImageSpec['build']>): Promise<ImageHandle>;
  contextDigest(build: NonNullable<ImageSpec['build']>): Promise<string>;
}

export interface ContainerEngineOptions {
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
}

interface ContainerRecord {
  id: string;
  owner: ContainerOwner;
  image: { ref: string; digest: string };
  createdAt: string;
  stopSignal: string;
  network: { mode: string; ipAddress?: string; ports?: PortMapping[] };
  /** Set by start(): the runtime has (or had) a process for this bundle. */
  started?: boolean;
}

const ID = /^[0-9a-f]{64}$/;

export class BerthEngine implements Engine, ContainerEngine {
  readonly #o: ContainerEngineOptions;
  readonly #dir: string;
  /** One operation at a time per container: start/stop/remove must not interleave. */
  readonly #locks = new Map<string, Promise<unknown>>();
  /** container.json of each container, read once (it changes only through this engine). */
  readonly #records = new Map<string, ContainerRecord>();
  /** Creates in progress: their directories have no container.json yet and are not leftovers. */
  readonly #creating = new Set<string>();
  readonly #volumes: VolumesPort;

  constructor(o: ContainerEngineOptions) {
    this.#o = o;
    this.#dir = join(o.root, 'containers');
    this.#volumes = o.volumes ?? new ContainerVolumes({ root: o.root, volumes: new LocalVolumes({ root: o.root }) });
  }

  // ---- images ----

  async ensureImage(ref: string, policy: PullPolicy, onProgress?: (p: PullProgress) => void): Promise<ImageHandle> {
    const img = await this.#o.images.ensure(ref, policy, onProgress);
    return { ref: img.ref, digest: img.digest, ...(img.size !== undefined ? { size: img.size } : {}) };
  }

  async resolveImage(ref: string): Promise<ImageHandle | undefined> {
    const img = await this.#o.images.resolve(ref);
    return img && { ref: img.ref, digest: img.digest, ...(img.size !== undefined ? { size: img.size } : {}) };
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
    if (!ID.test(req.id)) throw new InvalidArgumentError(`container id "${req.id}" must be 64 lowercase hex characters`);
    const dir = join(this.#dir, req.id);
    await mkdir(this.#dir, { recursive: true });
    this.#creating.add(req.id);
    try {
      return await this.#create(req, dir);
    } finally {
      this.#creating.delete(req.id);
    }
  }

  async #create(req: CreateRequest, dir: string): Promise<EngineContainer> {
    try {
      await mkdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new InvalidArgumentError(`container ${req.id} already exists`);
      throw err;
    }
    const undo: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
    try {
      const image = (await this.#o.images.resolve(req.image.digest)) ?? (await this.#o.images.resolve(req.image.ref));
      if (!image) throw new NotFoundError(`image ${req.image.ref} (${req.image.digest}) is not in the content store; pull it first`);
      const run = containerRunConfig({ name: req.owner.name, spec: req.spec, image: image.config });
      undo.push(() => this.#o.snapshots.remove(req.id));
      const { rootfs } = await this.#o.snapshots.prepare(req.id, image);
      undo.push(() => this.#volumes.release(req.id));
      const mounts = await this.#volumes.prepare({
        id: req.id,
        dir,
        owner: req.owner,
        requests: run.mountRequests,
        volumesFrom: req.spec.volumesFrom,
        anonymous: [...Object.keys(image.config.Volumes ?? {}), ...(req.spec.anonymousVolumes ?? [])],
        rootfs,
      });
      const user = resolveUser(run.user, await readInside(rootfs, 'etc/passwd'), await readInside(rootfs, 'etc/group'));

      const mode = networkMode(req.spec);
      const ports: PortMapping[] = (req.spec.ports ?? []).map((p) => ({
        containerPort: p.containerPort,
        ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}),
        ...(p.hostIP !== undefined ? { hostIP: p.hostIP } : {}),
        protocol: p.protocol,
      }));
      let net: NetworkAttachment = {};
      if (mode !== 'host') {
        if (!this.#o.network) throw new FailedPreconditionError(`container "${req.owner.name}": network "${mode}" needs the network manager, which this daemon does not have`);
        undo.push(() => this.#o.network!.detach(req.id));
        net = await this.#o.network.attach(req.id, { network: mode, name: req.owner.name, ports });
      }
      const hostname = join(dir, 'hostname');
      await writeFile(hostname, `${run.hostname}\n`);
      let hosts = net.hostsFile;
      let resolvConf = net.resolvConfFile;
      if (!net.netnsPath) {
        // The host's network: the host's name service files, copied so the container cannot edit them.
        hosts = join(dir, 'hosts');
        resolvConf = join(dir, 'resolv.conf');
        await writeFile(hosts, await readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1\tlocalhost\n::1\tlocalhost\n'));
        await writeFile(resolvConf, await readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
      }
      const createdAt = new Date().toISOString();
      const config = ociConfig({
        run: { ...run, mounts },
        user,
        rootfs,
        ...(net.netnsPath ? { netnsPath: net.netnsPath } : {}),
        etcFiles: { hostname, ...(hosts ? { hosts } : {}), ...(resolvConf ? { resolvConf } : {}) },
        cgroupsPath: `/${this.#o.cgroupParent ?? 'berth'}/${req.id}`,
        annotations: {
          'dev.berth.container.name': req.owner.name,
          'dev.berth.container.uid': req.owner.uid,
          'dev.berth.image.ref': image.ref,
          'dev.berth.image.digest': image.digest,
        },
      });
      await writeFileAtomic(join(dir, 'config.json'), JSON.stringify(config, null, 2));
      const record: ContainerRecord = {
        id: req.id,
        owner: req.owner,
        image: { ref: req.image.ref, digest: image.digest },
        createdAt,
        stopSignal: run.stopSignal,
        network: { mode, ...(net.ipAddress ? { ipAddress: net.ipAddress } : {}), ...(ports.length ? { ports } : {}) },
      };
      // Written last: a directory without container.json is a create that did not finish.
      await writeFileAtomic(join(dir, 'container.json'), JSON.stringify(record, null, 2));
      return this.#view(record, undefined);
    } catch (err) {
      for (const fn of undo.reverse()) await fn().catch(() => undefined);
      throw err;
    }
  }

  start(id: string): Promise<EngineContainer> {
    return this.#locked(id, async () => {
      let rec = await this.#record(id);
      const existing = await this.#o.runtime.state(id).catch((e) => (e instanceof NotFoundError ? undefined : Promise.reject(e)));
      if (existing && existing.status !== 'stopped') throw new FailedPreconditionError(`container ${id} is already ${existing.status}`);
      if (existing) await this.#o.runtime.delete(id, { force: true });
      // The rootfs may have been unmounted (a reboot, a crash): prepare() mounts it again.
      const image = (await this.#o.images.resolve(rec.image.digest)) ?? (await this.#o.images.resolve(rec.image.ref));
      if (image) await this.#o.snapshots.prepare(id, image);
      await this.#volumes.restore(id);
      // Likewise the network: attach returns at once when the attachment is healthy, and rebuilds
      // the namespace at the same path (perhaps with another address) when it is not.
      if (rec.network.mode !== 'host' && this.#o.network) {
        const net = await this.#o.network.attach(id, { network: rec.network.mode, name: rec.owner.name, ports: rec.network.ports ?? [] });
        if (net.ipAddress !== rec.network.ipAddress) {
          rec = { ...rec, network: { ...rec.network, ...(net.ipAddress ? { ipAddress: net.ipAddress } : {}) } };
          await writeFileAtomic(join(this.#dir, id, 'container.json'), JSON.stringify(rec, null, 2));
          this.#records.set(id, rec);
        }
      }
      const state = await this.#o.runtime.run({ id, bundle: join(this.#dir, id) });
      if (!rec.started) {
        await writeFileAtomic(join(this.#dir, id, 'container.json'), JSON.stringify({ ...rec, started: true }, null, 2));
        this.#records.set(id, { ...rec, started: true });
      }
      return this.#view(rec, state);
    });
  }

  async stop(id: string, opts: { signal?: string; timeoutSeconds: number }): Promise<ExitInfo> {
    const rec = await this.#record(id);
    const state = await this.#state(id);
    if (!state) throw new FailedPreconditionError(`container ${id} was never started`);
    return this.#o.runtime.stop(id, { signal: opts.signal ?? rec.stopSignal, timeoutSeconds: opts.timeoutSeconds });
  }

  async kill(id: string, signal: string): Promise<void> {
    await this.#record(id);
    await this.#o.runtime.kill(id, signal);
  }

  async pause(id: string): Promise<void> {
    await this.#record(id);
    await this.#o.runtime.pause(id);
  }

  async resume(id: string): Promise<void> {
    await this.#record(id);
    await this.#o.runtime.resume(id);
  }

  remove(id: string, opts: { force?: boolean } = {}): Promise<void> {
    return this.#locked(id, async () => {
      const dir = join(this.#dir, id);
      if (!ID.test(id)) throw new InvalidArgumentError(`container id "${id}" must be 64 lowercase hex characters`);
      const state = await this.#state(id);
      if (state && state.status !== 'stopped' && !opts.force) {
        throw new FailedPreconditionError(`container ${id} is ${state.status}; stop it first or remove it with force`);
      }
      if (state) await this.#o.runtime.delete(id, { force: true });
      await this.#o.network?.detach(id);
      await this.#o.snapshots.remove(id);
      await this.#volumes.release(id);
      this.#records.delete(id);
      await rm(dir, { recursive: true, force: true });
    });
  }

  async inspect(id: string): Promise<EngineContainer> {
    const rec = await this.#record(id);
    return this.#view(rec, await this.#state(id));
  }

  async list(filter?: { name?: string }): Promise<EngineContainer[]> {
    const ids = await readdir(this.#dir).catch(() => [] as string[]);
    const known = new Set(ids);
    // One object's containers (each reconcile asks): their own states only, not the whole runtime's.
    const runtimeStates = filter?.name ? undefined : new Map((await this.#o.runtime.list()).map((s) => [s.id, s]));
    const out: EngineContainer[] = [];
    for (const id of ids) {
      if (!ID.test(id)) continue;
      const rec = await this.#record(id).catch(() => undefined);
      if (!rec) {
        // A create that never finished (the daemon died in it): nothing runs from it; clean it up.
        if (runtimeStates && !runtimeStates.has(id) && !this.#creating.has(id)) await this.#cleanupPartial(id);
        continue;
      }
      if (filter?.name && rec.owner.name !== filter.name) continue;
      out.push(this.#view(rec, runtimeStates ? runtimeStates.get(id) : await this.#state(id)));
    }
    // Containers the runtime runs that berth has no record of: reported, never touched.
    if (runtimeStates) {
      for (const [id, s] of runtimeStates) {
        if (known.has(id)) continue;
        out.push({ id, status: s.status, pid: s.pid, createdAt: s.createdAt, ...(s.startedAt ? { startedAt: s.startedAt } : {}), ...(s.exit ? { exit: s.exit } : {}) });
      }
    }
    return out;
  }

  async wait(id: string, signal?: AbortSignal): Promise<ExitInfo> {
    await this.#record(id);
    return this.#o.runtime.wait(id, signal);
  }

  async stats(id: string): Promise<ContainerStats> {
    await this.#record(id);
    const s = await this.#o.runtime.stats(id);
    const net = await this.#o.network?.stats?.(id).catch(() => undefined);
    return { ...s, ...(net ? { network: net } : {}) };
  }

  async exec(id: string, opts: ExecOptions): Promise<ExecResult> {
    await this.#record(id);
    return this.#o.runtime.exec(id, opts);
  }

  async *logs(id: string, opts: LogOptions = {}): AsyncIterable<LogEntry> {
    await this.#record(id);
    if (!(await this.#state(id))) return;
    yield* this.#o.runtime.logs(id, opts);
  }

  async top(id: string): Promise<ProcessInfo[]> {
    await this.#record(id);
    const state = await this.#state(id);
    if (!state || state.pid <= 0 || state.status === 'stopped') return [];
    return processesInPidNamespaceOf(state.pid);
  }

  // ---- internals ----

  async #record(id: string): Promise<ContainerRecord> {
    if (!ID.test(id)) throw new NotFoundError(`container "${id}" not found`);
    const cached = this.#records.get(id);
    if (cached) return cached;
    try {
      const rec = JSON.parse(await readFile(join(this.#dir, id, 'container.json'), 'utf8')) as ContainerRecord;
      this.#records.set(id, rec);
      return rec;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`container ${id} not found`);
      throw err;
    }
  }

  async #state(id: string) {
    try {
      return await this.#o.runtime.state(id);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async #cleanupPartial(id: string): Promise<void> {
    await this.#o.network?.detach(id).catch(() => undefined);
    await this.#o.snapshots.remove(id).catch(() => undefined);
    await this.#volumes.release(id).catch(() => undefined);
    await rm(join(this.#dir, id), { recursive: true, force: true }).catch(() => undefined);
  }

  #view(rec: ContainerRecord, s: Awaited<ReturnType<Runtime['state']>> | undefined): EngineContainer {
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
    };
  }

  #locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.#locks.set(id, settled);
    void settled.then(() => {
      if (this.#locks.get(id) === settled) this.#locks.delete(id);
    });
    return next;
  }
}

/** host (no namespace of its own) unless the spec publishes ports or names a network. */
export function networkMode(spec: CreateRequest['spec']): string {
  if (spec.network) return spec.network;
  return spec.ports && spec.ports.length > 0 ? 'bridge' : 'host';
}

/** The processes sharing the pid namespace of `pid` (the container's init), as `docker top` lists them. */
async function processesInPidNamespaceOf(pid: number): Promise<ProcessInfo[]> {
  const ns = await readlink(`/proc/${pid}/ns/pid`).catch(() => undefined);
  if (!ns) return [];
  const ticks = 100; // USER_HZ on Linux
  const users = await readFile('/etc/passwd', 'utf8').then(
    (t) => new Map(t.split('\n').map((l) => l.split(':')).filter((f) => f.length > 2).map((f) => [f[2]!, f[0]!])),
    () => new Map<string, string>(),
  );
  const out: ProcessInfo[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if ((await readlink(`/proc/${entry}/ns/pid`)) !== ns) continue;
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = await readFile(`/proc/${entry}/status`, 'utf8');
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1] ?? '0';
      const cmd = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').filter(Boolean).join(' ');
      out.push({
        pid: Number(entry),
        ppid: Number(rest[1]),
        user: users.get(uid) ?? uid,
        cpuSeconds: (Number(rest[11]) + Number(rest[12])) / ticks,
        cmd: cmd || `[${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}]`,
      });
    } catch {
      // The process ended while we looked.
    }
  }
  return out.sort((a, b) => a.pid - b.pid);
}
