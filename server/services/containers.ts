// The container service: every verb on containers that an API offers (berth's REST routes today,
// Docker's Engine API later), over the store (what is wanted), the controllers (each Container's
// lifecycle, as typed status) and the engine (the running process). Routes only translate HTTP to
// these calls, so two APIs cannot drift apart.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { isAbsolute } from 'node:path';
import type {
  ContainerDetail,
  ContainerPhase,
  ContainerResource,
  ContainerStats,
  ContainerStatus,
  ContainerSummary,
  ContainerUpdate,
  ContainerUpdateResult,
  ExecOutput,
  FileChange,
  LogEntry,
  PathStat,
  ProcessInfo,
  WaitResult,
} from '../../specs/api/containers.ts';
import type { EngineContainer } from '../../engine/engine.ts';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../specs/errdefs.ts';
import { formatPort } from '../../specs/ports.ts';
import { API_VERSION, ContainerObject, imageIsObjectName } from '../../specs/schema.ts';
import { readSeccompProfile } from '../../specs/seccomp-profile.ts';
import type { Store } from '../../store/store.ts';
import type { AnonymousVolumes, ContainerLifecycles, ContainerPreflight, ContainerRuntimeVerbs, ImageConfigs } from './deps.ts';
import { execFrames } from './exec-stream.ts';
import { followUntilExit } from './logs.ts';
import { resolveContainer } from './lookup.ts';
import type { DockerContainer } from '../../specs/api/docker.ts';
import { HOLD_START } from '../../specs/api/containers.ts';
import { dockerContainer, dockerStateOf } from '../../specs/docker/inspect.ts';
import { applyContainerUpdate } from '../../specs/docker/update.ts';
import { DOCKER_NAME_LABEL } from '../../specs/docker/docker-name.ts';
import { availableParallelism } from 'node:os';

const LIVE: ReadonlySet<string> = new Set(['Running', 'Paused', 'Stopping', 'Creating', 'Restarting']);
const ENDED: ContainerPhase[] = ['Exited', 'Failed', 'Removed'];
/** Waiting reasons that a `run` should report at once instead of waiting on. */
const IMAGE_FAILURES: ReadonlySet<string> = new Set(['ImagePullBackOff', 'ErrImagePull', 'ErrImageNeverPull', 'InvalidImageName']);

export interface RunRequest {
  name?: string;
  spec?: unknown;
  labels?: Record<string, string>;
  /** Who asked, recorded as the object's source (default "cli:run"; Docker's API: "docker-api"). */
  source?: string;
}

export interface ExecRequest {
  args: string[];
  env?: string[];
  user?: string;
  cwd?: string;
}

export class ContainerService {
  readonly #store: Store;
  readonly #lifecycles: ContainerLifecycles;
  readonly #engine: ContainerRuntimeVerbs;
  readonly #volumes: AnonymousVolumes | undefined;
  readonly #preflight: ContainerPreflight | undefined;
  readonly #images: ImageConfigs | undefined;

  constructor(o: { store: Store; lifecycles: ContainerLifecycles; engine: ContainerRuntimeVerbs; volumes?: AnonymousVolumes; preflight?: ContainerPreflight; images?: ImageConfigs }) {
    this.#store = o.store;
    this.#lifecycles = o.lifecycles;
    this.#engine = o.engine;
    this.#volumes = o.volumes;
    this.#preflight = o.preflight;
    this.#images = o.images;
  }

  /** `ps`: running (and paused) containers, or all with `all`; foreign ones are listed, unmanaged. */
  list(o: { all?: boolean } = {}): ContainerSummary[] {
    const items = (this.#store.list('Container') as ContainerResource[])
      .map((r) => this.#summary(r))
      .filter((s) => o.all || s.phase === 'Running' || s.phase === 'Paused');
    const foreign = this.#lifecycles.unknown.filter((c) => o.all || c.status === 'running').map(unmanaged);
    return [...items, ...foreign];
  }

  /** `ps -s`: each summary with its sizes (those of a container not created yet, or foreign, are 0). */
  async withSizes(items: ContainerSummary[]): Promise<ContainerSummary[]> {
    return Promise.all(
      items.map(async (s) => {
        const size = s.id && s.managed ? await this.#engine.size?.(s.id).catch(() => undefined) : undefined;
        return { ...s, sizeRw: size?.rw ?? 0, sizeRootFs: size?.rootFs ?? 0 };
      }),
    );
  }

  async inspect(name: string): Promise<ContainerDetail> {
    name = this.resolve(name);
    const r = this.#get(name);
    const id = this.#status(r).containerID;
    const runtime = id ? await this.#engine.inspect(id).catch(() => null) : null;
    return { ...r, status: { ...r.status, ...this.#status(r) }, summary: this.#summary(r), runtime: runtime && withoutOwner(runtime) };
  }

  /** `docker inspect CONTAINER`: the object, its status and its image's config in Docker's shape. */
  async dockerInspect(name: string): Promise<DockerContainer> {
    const d = await this.inspect(name);
    const ref = d.status.imageID ?? d.status.image;
    const image = ref ? await this.#images?.inspect(ref).catch(() => undefined) : undefined;
    return dockerContainer({ object: d, status: d.status, runtime: d.runtime, ...(image ? { image: { id: image.id, config: image.config.config ?? {} } } : {}) });
  }

  /**
   * `run`/`create`: a Container object of its own (labelled berth.dev/run), named or given a random
   * name. With start false (`create`), it is annotated to wait for `start`, and the answer comes once
   * the container is made (its image pulled), with its id. With imagePresent, an image not here is a
   * NotFound instead of a pull (Docker's create).
   */
  async create(req: RunRequest, o: { start?: boolean; signal?: AbortSignal; imagePresent?: boolean } = {}): Promise<{ name: string; id?: string }> {
    const name = req.name ?? `run-${randomBytes(4).toString('hex')}`;
    if (this.#store.get('Container', name)) {
      throw new FailedPreconditionError(`a container named "${name}" already exists; remove it (\`berth rm -f ${name}\`) or choose another --name`);
    }
    const parsed = ContainerObject.safeParse({
      apiVersion: API_VERSION,
      kind: 'Container',
      metadata: { name, labels: { 'berth.dev/run': 'true', ...(req.labels ?? {}) }, ...(o.start === false ? { annotations: { [HOLD_START]: 'manual' } } : {}) },
      spec: this.#dockerImage(req.spec),
    });
    if (!parsed.success) {
      throw new InvalidArgumentError(`run: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`).join('; ')}`);
    }
    const profile = parsed.data.spec.securityContext?.seccompProfile?.localhostProfile;
    if (profile) {
      if (!isAbsolute(profile)) throw new InvalidArgumentError(`run: seccomp profile "${profile}" must be an absolute path`);
      const read = readSeccompProfile(profile);
      if ('error' in read) throw new InvalidArgumentError(`run: ${read.error}`);
    }
    if (o.imagePresent) await this.#imagePresent(parsed.data.spec.image);
    await this.#preflight?.(name, parsed.data.spec);
    this.#store.put(parsed.data, req.source ?? 'cli:run');
    if (o.start !== false) return { name };
    const s = await this.#lifecycles.waitFor(
      name,
      (v) => v !== undefined && (v.phase === 'Created' || v.phase === 'Failed' || IMAGE_FAILURES.has(('waiting' in v.state && v.state.waiting.reason) || '')),
      o.signal,
    );
    if (!s?.containerID || s.phase !== 'Created') throw new FailedPreconditionError(`container "${name}" could not be created: ${s?.message ?? s?.reason ?? 'see `berth describe container ' + name + '`'}`);
    return { name, id: s.containerID };
  }

  /** Stops the container and keeps it stopped (the reconcile loop knows it was the user). */
  async stop(name: string, signal?: AbortSignal, o: { timeoutSeconds?: number } = {}): Promise<ContainerPhase> {
    name = this.resolve(name);
    this.#get(name);
    this.#lifecycles.send(name, { type: 'USER_STOP', ...(o.timeoutSeconds !== undefined ? { timeoutSeconds: o.timeoutSeconds } : {}) });
    return this.#settle(name, ENDED, signal);
  }

  async start(name: string, signal?: AbortSignal): Promise<ContainerPhase> {
    name = this.resolve(name);
    const r = this.#get(name);
    // A `create`d container: from now on it starts as any other (a recreate after a change too).
    if (r.metadata.annotations?.[HOLD_START]) {
      const { [HOLD_START]: _, ...annotations } = r.metadata.annotations;
      this.#store.put({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name, ...(r.metadata.labels ? { labels: r.metadata.labels } : {}), annotations }, spec: r.spec } as Parameters<Store['put']>[0], r.metadata.source ?? 'cli:run');
    }
    this.#lifecycles.send(name, { type: 'USER_START' });
    const phase = await this.#settle(name, ['Running', 'Exited', 'BackOff', 'Failed'], signal);
    const failed = phase === 'Running' ? undefined : startError(this.#lifecycles.view(name));
    if (failed !== undefined) throw new FailedPreconditionError(`container "${name}" failed to start: ${failed}`);
    return phase;
  }

  /** `restart`: a stop (with this stop's grace period, `-t`), then a start. */
  async restart(name: string, signal?: AbortSignal, o: { timeoutSeconds?: number } = {}): Promise<ContainerPhase> {
    name = this.resolve(name);
    const phase = this.#status(this.#get(name)).phase;
    if (phase === 'Running' || phase === 'Paused' || phase === 'BackOff') await this.stop(name, signal, o);
    return this.start(name, signal);
  }

  /**
   * `rename OLD NEW`: the same container (id, process) under another name; Docker's name rules.
   * With dockerName (Docker's API: a Docker name that is not a berth name), that is kept as its
   * Docker name; without, a Docker name kept from before goes.
   */
  async rename(ref: string, to: string, o: { dockerName?: string } = {}): Promise<void> {
    let from: string;
    try {
      from = this.resolve(ref);
    } catch (err) {
      throw err instanceof NotFoundError ? new NotFoundError(`No such container: ${ref}`) : err;
    }
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(to)) throw new InvalidArgumentError(`Invalid container name (${to}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (from === to) throw new InvalidArgumentError(`Renaming a container with the same name as its current name`);
    if (this.#store.get('Container', to)) throw new AlreadyExistsError(`Conflict. The container name "/${to}" is already in use. You have to remove (or rename) that container to be able to reuse that name.`);
    const labels = this.#get(from).metadata.labels ?? {};
    const { [DOCKER_NAME_LABEL]: kept, ...others } = labels;
    if (kept === undefined && o.dockerName === undefined) return this.#lifecycles.rename(from, to);
    await this.#lifecycles.rename(from, to, { labels: { ...others, ...(o.dockerName !== undefined ? { [DOCKER_NAME_LABEL]: o.dockerName } : {}) } });
  }

  /**
   * `update` (Docker's POST /containers/{id}/update): new limits and restart policy, applied to the
   * running container's cgroup and kept in its object, without recreating it (same id, same process).
   */
  async update(ref: string, u: ContainerUpdate): Promise<ContainerUpdateResult> {
    const name = this.resolve(ref);
    const r = this.#get(name);
    const parsed = ContainerObject.safeParse({ apiVersion: API_VERSION, kind: 'Container', metadata: { name }, spec: applyContainerUpdate(r.spec, u, availableParallelism()) });
    if (!parsed.success) throw new InvalidArgumentError(`update ${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`).join('; ')}`);
    await this.#lifecycles.update(name, parsed.data.spec);
    return { name, warnings: [] };
  }

  async pause(name: string, signal?: AbortSignal): Promise<ContainerPhase> {
    name = this.resolve(name);
    this.#runningID(name);
    this.#lifecycles.send(name, { type: 'PAUSE' });
    return this.#settle(name, ['Paused', 'Exited'], signal);
  }

  async unpause(name: string, signal?: AbortSignal): Promise<ContainerPhase> {
    name = this.resolve(name);
    this.#runningID(name);
    this.#lifecycles.send(name, { type: 'UNPAUSE' });
    return this.#settle(name, ['Running', 'Exited'], signal);
  }

  /** Sends a signal (a name with or without SIG, or a number) to the container's process. */
  async kill(name: string, signal = 'SIGKILL'): Promise<void> {
    name = this.resolve(name);
    if (!/^(SIG)?[A-Z0-9+-]+$|^\d+$/.test(signal)) throw new InvalidArgumentError(`signal "${signal}" is not a signal name or number (e.g. SIGTERM, KILL, 9)`);
    await this.#engine.kill(this.#runningID(name), /^\d+$/.test(signal) || signal.startsWith('SIG') ? signal : `SIG${signal}`);
  }

  /**
   * Deletes the object and waits until its container is gone; a running one only with force, which
   * kills it (SIGKILL, as `docker rm -f`) once its lifecycle is stopping it, instead of waiting the
   * grace period. With volumes (`rm -v`), then removes its anonymous volumes that no other container
   * uses; says which.
   */
  async remove(name: string, o: { force?: boolean; volumes?: boolean } = {}, signal?: AbortSignal): Promise<string[]> {
    name = this.resolve(name);
    const r = this.#get(name);
    const st = this.#status(r);
    const phase = st.phase ?? 'Pending';
    const live = phase === 'Running' || phase === 'Paused';
    if (!o.force && live) {
      throw new FailedPreconditionError(`container "${name}" is ${phase.toLowerCase()}: stop it first, or force the removal with \`berth rm -f ${name}\``);
    }
    this.#store.delete('Container', name);
    if (live && st.containerID) {
      const id = st.containerID;
      void this.#lifecycles
        .waitFor(name, (s) => s === undefined || !['Running', 'Paused'].includes(s.phase), signal)
        .then((s) => (s?.phase === 'Stopping' ? this.#engine.kill(id, 'SIGKILL') : undefined))
        .catch(() => undefined);
    }
    await this.#lifecycles.waitFor(name, (s) => s === undefined || s.phase === 'Removed', signal);
    return o.volumes && this.#volumes ? this.#volumes.removeAnonymousOf(r.metadata.uid) : [];
  }

  /** `container prune`: removes every container that is not running (exited, failed, created); their names. */
  async prune(o: { only?: ((s: ContainerSummary) => boolean) | undefined } = {}, signal?: AbortSignal): Promise<string[]> {
    const stopped = this.list({ all: true }).filter((s) => s.managed && (s.state === 'exited' || s.state === 'created') && (o.only?.(s) ?? true));
    for (const s of stopped) await this.remove(s.name, {}, signal);
    return stopped.map((s) => s.id ?? s.name);
  }

  /**
   * Until the container's process ends (its exit code), or with condition "started" until it has a
   * process or failed before getting one, so that `run` can follow its output without polling.
   */
  async wait(name: string, o: { condition?: 'started' | 'exited' | 'removed' } = {}, signal?: AbortSignal): Promise<WaitResult> {
    name = this.resolve(name);
    this.#get(name);
    if (o.condition === 'removed') {
      // Docker's condition=removed (`run --rm`): the exit code, once the object is gone too.
      const exited = await this.wait(name, { condition: 'exited' }, signal);
      await this.#lifecycles.waitFor(name, (v) => v === undefined || v.phase === 'Removed', signal);
      return { ...exited, phase: 'Removed' };
    }
    const started = o.condition === 'started';
    const until: ContainerPhase[] = started ? ['Running', 'Paused', 'Exited', 'BackOff', 'Failed', 'Removed'] : ENDED;
    const s = await this.#lifecycles.waitFor(
      name,
      (v) =>
        v !== undefined &&
        ((until.includes(v.phase) && (!started || v.phase !== 'Exited' || v.containerID !== undefined || startError(v) !== undefined)) ||
          (started && IMAGE_FAILURES.has(('waiting' in v.state && v.state.waiting.reason) || ''))),
      signal,
    );
    const phase = s?.phase ?? 'Removed';
    if (started) {
      const failed = s && phase !== 'Running' && phase !== 'Paused' ? startError(s) : undefined;
      return { name, phase, ...(s?.containerID ? { id: s.containerID } : {}), ...(failed !== undefined ? { startError: failed } : {}) };
    }
    const last = s?.lastState?.terminated;
    return { name, phase, exitCode: last?.exitCode ?? 125, ...(last ? { reason: last.reason } : {}) };
  }

  /**
   * While a client attached before the start reads the output (Docker's attach, then start, of
   * `run --rm`): the container's autoRemove waits for the release, since its log goes with it.
   */
  holdRemoval(name: string): () => void {
    return this.#lifecycles.holdRemoval(this.resolve(name));
  }

  /** The container's output; with follow, until its process ends (or the caller goes away). */
  logs(name: string, o: { follow?: boolean; tail?: number }, signal: AbortSignal): AsyncIterable<LogEntry> {
    name = this.resolve(name);
    return followUntilExit(this.#engine, this.#anyID(name), { follow: o.follow ?? false, ...(o.tail !== undefined ? { tail: o.tail } : {}), signal });
  }

  async exec(name: string, req: ExecRequest): Promise<ExecOutput> {
    name = this.resolve(name);
    if (req.args.length === 0) throw new InvalidArgumentError('exec needs a command');
    const res = await this.#engine.exec(this.#runningID(name), req);
    return { exitCode: res.exitCode, ...(res.signal ? { signal: res.signal } : {}), stdout: res.stdout.toString('base64'), stderr: res.stderr.toString('base64') };
  }

  /** exec with its output streamed (exec-stream.ts); a missing or stopped container is refused before the stream starts. */
  execStream(name: string, req: ExecRequest, signal: AbortSignal): AsyncIterable<Buffer> {
    name = this.resolve(name);
    if (req.args.length === 0) throw new InvalidArgumentError('exec needs a command');
    const id = this.#runningID(name);
    return execFrames((o) => this.#engine.exec(id, { ...req, ...o }), signal);
  }

  async stats(name: string): Promise<ContainerStats & { name: string; id: string }> {
    name = this.resolve(name);
    const id = this.#runningID(name);
    return { name, id, ...(await this.#engine.stats(id)) };
  }

  /** Stats every second until the caller goes away. */
  async *statsStream(name: string, signal: AbortSignal): AsyncIterable<ContainerStats & { name: string; id: string }> {
    name = this.resolve(name);
    while (!signal.aborted) {
      yield await this.stats(name);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async top(name: string): Promise<ProcessInfo[]> {
    name = this.resolve(name);
    return this.#engine.top(this.#runningID(name));
  }

  /** `cp`: a path in the container (running, paused, created or stopped), resolved inside its root. */
  async statPath(name: string, path: string): Promise<PathStat> {
    return this.#engine.statPath(this.engineID(name), path);
  }

  /** `cp CONTAINER:PATH -`: the path as a tar stream, with its stat (Docker's GET /archive). */
  async getArchive(name: string, path: string): Promise<{ stat: PathStat; tar: Readable; done: Promise<void> }> {
    return this.#engine.archivePath(this.engineID(name), path);
  }

  /** `cp - CONTAINER:DIR`: a tar stream extracted into the directory DIR (Docker's PUT /archive). */
  async putArchive(name: string, dir: string, tar: Readable, o: { keepOwner?: boolean } = {}): Promise<void> {
    return this.#engine.extractArchive(this.engineID(name), dir, tar, o);
  }

  /** `diff`: what the container changed in its filesystem since its image (running or not). */
  async changes(name: string): Promise<FileChange[]> {
    return this.#engine.changes(this.engineID(name));
  }

  /** The engine's id of a container (any state once created), or NotFound / FailedPrecondition saying why there is none. */
  engineID(name: string): string {
    return this.#anyID(this.resolve(name));
  }

  /**
   * Docker's image words: a bare name ("busybox") is an Image object's name when one exists, else
   * a registry reference ("busybox:latest", as `docker run busybox` pulls).
   */
  #dockerImage(spec: unknown): unknown {
    const s = spec as { image?: unknown } | undefined;
    if (typeof s?.image !== 'string' || !s.image || !imageIsObjectName(s.image) || this.#store.get('Image', s.image)) return spec;
    return { ...s, image: `${s.image}:latest` };
  }

  /**
   * Docker's create: the image must be here already (an Image object, or pulled), else dockerd's
   * 404 — upon which its clients pull it themselves, with their own credentials, and create again.
   */
  async #imagePresent(image: string): Promise<void> {
    if (imageIsObjectName(image) && this.#store.get('Image', image)) return;
    const found = await this.#images?.inspect(image).catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
    if (this.#images && !found) throw new NotFoundError(`No such image: ${image}`);
  }

  /** A container's name from its name, its id or a unique prefix of its id (as Docker takes them). */
  resolve(ref: string): string {
    return resolveContainer(this.#store.list('Container') as ContainerResource[], ref, (r) => this.#status(r).containerID).metadata.name;
  }

  #get(name: string): ContainerResource {
    const r = this.#store.get('Container', name) as ContainerResource | undefined;
    if (!r) throw new NotFoundError(`no container named "${name}" (see \`berth ps -a\`)`);
    return r;
  }

  /** The live status when the container has a lifecycle, else what the store last recorded. */
  #status(r: ContainerResource): Partial<ContainerStatus> {
    return this.#lifecycles.view(r.metadata.name) ?? r.status;
  }

  async #settle(name: string, phases: ContainerPhase[], signal?: AbortSignal): Promise<ContainerPhase> {
    const s = await this.#lifecycles.waitFor(name, (v) => v !== undefined && phases.includes(v.phase), signal);
    return s?.phase ?? 'Removed';
  }

  /** The running container's id, or FailedPrecondition saying why there is none. */
  #runningID(name: string): string {
    const s = this.#lifecycles.view(name);
    const phase = s?.phase ?? 'Pending';
    if (!s?.containerID || (phase !== 'Running' && phase !== 'Paused')) {
      throw new FailedPreconditionError(`container "${name}" is not running (it is ${phase}); start it with \`berth start ${name}\``);
    }
    return s.containerID;
  }

  #anyID(name: string): string {
    const id = this.#status(this.#get(name)).containerID;
    if (!id) throw new FailedPreconditionError(`container "${name}" has not been created yet (see \`berth describe container ${name}\`)`);
    return id;
  }

  #summary(r: ContainerResource): ContainerSummary {
    const st = this.#status(r);
    const phase = st.phase ?? 'Pending';
    const term = st.lastState?.terminated;
    return {
      name: r.metadata.name,
      ...(st.containerID ? { id: st.containerID } : {}),
      image: r.spec.image,
      command: [...(r.spec.command ?? []), ...(r.spec.args ?? [])],
      created: r.metadata.creationTimestamp,
      phase,
      ready: st.ready === true,
      restartCount: st.restartCount ?? 0,
      ...(term && !LIVE.has(phase) ? { exitCode: term.exitCode, finishedAt: term.finishedAt } : {}),
      ...(st.startedAt ? { startedAt: st.startedAt } : {}),
      // As published (free host ports picked) once it has a container; as asked before.
      ports: (st.ports ?? r.spec.ports ?? []).map(formatPort),
      managed: true,
      ...(r.metadata.labels ? { labels: r.metadata.labels } : {}),
      ...(r.spec.readinessProbe && (phase === 'Running' || phase === 'Paused')
        ? { health: st.ready ? 'healthy' : st.conditions?.find((c) => c.type === 'Ready')?.message ? 'unhealthy' : 'starting' }
        : {}),
      state: dockerStateOf(phase),
    };
  }
}

/** Why the container's last start failed, when that is how its last run ended (it has no process). */
function startError(v: Partial<ContainerStatus> | undefined): string | undefined {
  const last = v?.lastState?.terminated;
  return last?.reason === 'StartError' ? (last.message ?? v?.message ?? 'the runtime gave no reason') : undefined;
}

function unmanaged(c: EngineContainer): ContainerSummary {
  return { name: '', id: c.id, image: c.image ?? '', command: [], created: c.createdAt, phase: c.status, ready: false, restartCount: 0, ports: [], managed: false };
}

function withoutOwner(c: EngineContainer): Omit<EngineContainer, 'owner'> {
  const { owner: _owner, ...rest } = c;
  return rest;
}
